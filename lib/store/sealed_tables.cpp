#include "store/sealed_tables.hpp"

#include <stdexcept>

#include "store/sqlite_store.hpp"

namespace vrnum::detail {
namespace {

bool identifier(const std::string& s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) {
        return false;
    }
    for (char c : s) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_')) {
            return false;
        }
    }
    return true;
}

bool table_exists(connection& db, const std::string& table) {
    statement s(db,
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?1)");
    s.bind(1, std::string_view(table));
    return s.step() && s.column_int(0) != 0;
}

}  // namespace

std::vector<sealed_table> all_sealed_tables(const std::vector<sealed_table>& extra) {
    std::vector<sealed_table> all = {
        {"messages", {{"sender", "sender"}, {"body", "body"}}},
        {"message_parts",
         {{"sender", std::string(part_sender_column)}, {"body", std::string(part_body_column)}}},
    };
    for (const sealed_table& t : extra) {
        bool ok = identifier(t.table) && !t.columns.empty();
        for (const auto& [column, label] : t.columns) {
            ok = ok && identifier(column) && !label.empty();
        }
        if (!ok) {
            throw std::invalid_argument("store: invalid sealed table '" + t.table + "'");
        }
        all.push_back(t);
    }
    return all;
}

std::optional<sealed_sample> newest_sealed(connection& db,
                                           const std::vector<sealed_table>& tables) {
    for (const sealed_table& t : tables) {
        if (!table_exists(db, t.table)) {
            continue;
        }
        const auto& [column, label] = t.columns.front();
        statement s(db, "SELECT id, " + column + " FROM " + t.table + " WHERE length(" + column +
                            ") > 0 ORDER BY id DESC LIMIT 1");
        if (s.step()) {
            return sealed_sample{s.column_int(0), s.column_blob(1), label};
        }
    }
    return std::nullopt;
}

std::string reseal_select_sql(const sealed_table& t) {
    std::string sql = "SELECT id";
    for (const auto& [column, label] : t.columns) {
        sql += ", " + column;
    }
    return sql + " FROM " + t.table + " WHERE id > ?1 ORDER BY id LIMIT ?2";
}

std::string reseal_update_sql(const sealed_table& t) {
    std::string sql = "UPDATE " + t.table + " SET ";
    for (std::size_t i = 0; i < t.columns.size(); ++i) {
        sql += (i ? ", " : "") + t.columns[i].first + " = ?" + std::to_string(i + 2);
    }
    return sql + " WHERE id = ?1";
}

std::string key_count_sql(connection& db, const std::vector<sealed_table>& tables) {
    // The key id is bytes 2-5 of each envelope (after the version byte).
    std::string inner;
    for (const sealed_table& t : tables) {
        if (!table_exists(db, t.table)) {
            continue;
        }
        const std::string& column = t.columns.front().first;
        inner += (inner.empty() ? "" : " UNION ALL ") + std::string("SELECT substr(") + column +
                 ", 2, 4) AS key FROM " + t.table + " WHERE length(" + column + ") > 0";
    }
    return inner.empty() ? inner : "SELECT key, COUNT(*) FROM (" + inner + ") GROUP BY key";
}

}  // namespace vrnum::detail
