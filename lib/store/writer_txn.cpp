#include "store/writer_txn.hpp"

#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <type_traits>

#include <sqlite3.h>

namespace vrnum::detail {
namespace {

class statement_row final : public sql_row {
  public:
    explicit statement_row(const statement& s) : s_(s) {}
    bool is_null(int column) const override { return s_.column_is_null(column); }
    std::int64_t get_int(int column) const override { return s_.column_int(column); }
    double get_double(int column) const override { return s_.column_double(column); }
    std::string get_text(int column) const override { return s_.column_text(column); }
    std::string get_blob(int column) const override { return s_.column_blob(column); }

  private:
    const statement& s_;
};

// Leaves a cached statement reset (bindings cleared) however its use ends.
struct reset_on_exit {
    statement& s;
    ~reset_on_exit() { s.reset(); }
};

}  // namespace

statement& statement_cache::get(std::string_view sql) {
    auto it = cache_.find(std::string(sql));
    if (it == cache_.end()) {
        it = cache_.emplace(std::string(sql), std::make_unique<statement>(db_, sql)).first;
    } else if (it->second->busy()) {
        // Its rows are being read by an outer call: resetting it would restart that one.
        throw std::logic_error("the same SQL is already running on this connection");
    }
    return *it->second;
}

statement& sql_access::prepare(std::string_view sql, std::initializer_list<sql_value> params) {
    statement& s = cache_.get(sql);
    s.reset();
    int index = 1;
    for (const sql_value& v : params) {
        std::visit(
            [&](const auto& x) {
                using T = std::decay_t<decltype(x)>;
                if constexpr (std::is_same_v<T, std::nullptr_t>) {
                    s.bind_null(index);
                } else if constexpr (std::is_same_v<T, blob>) {
                    s.bind_blob(index, x.bytes);
                } else {
                    s.bind(index, x);
                }
            },
            v);
        ++index;
    }
    return s;
}

std::int64_t sql_access::exec(std::string_view sql, std::initializer_list<sql_value> params) {
    // The store owns the transaction and its savepoints.
    static constexpr std::string_view control[] = {"BEGIN",    "COMMIT",    "END",
                                                   "ROLLBACK", "SAVEPOINT", "RELEASE"};
    auto first = sql.substr(sql.find_first_not_of(" \t\r\n") == std::string_view::npos
                                ? sql.size()
                                : sql.find_first_not_of(" \t\r\n"));
    for (std::string_view word : control) {
        if (first.size() >= word.size() &&
            std::equal(
                word.begin(), word.end(), first.begin(),
                [](char a, char b) { return a == std::toupper(static_cast<unsigned char>(b)); }) &&
            (first.size() == word.size() ||
             !std::isalnum(static_cast<unsigned char>(first[word.size()])))) {
            throw std::invalid_argument("transaction control belongs to the store: " +
                                        std::string(word));
        }
    }
    statement& s = prepare(sql, params);
    reset_on_exit guard{s};
    while (s.step()) {
    }
    return db_.changes();
}

std::size_t sql_access::query(std::string_view sql, std::initializer_list<sql_value> params,
                              const std::function<void(const sql_row&)>& on_row) {
    statement& s = prepare(sql, params);
    reset_on_exit guard{s};
    std::size_t rows = 0;
    statement_row row(s);
    while (s.step()) {
        ++rows;
        on_row(row);
    }
    return rows;
}

std::int64_t writer_txn::last_insert_id() const {
    return sqlite3_last_insert_rowid(sql_.db().handle());
}

}  // namespace vrnum::detail
