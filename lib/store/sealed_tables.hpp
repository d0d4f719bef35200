#pragma once
// The tables whose columns are sealed: the gateway's (messages, multipart parts) and those
// other components register (`store::options::sealed`). The SQL over them is built here from
// their names, checked to be plain identifiers; values are always bound.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vrnum/store.hpp>

#include "store/sqlite.hpp"

namespace vrnum::detail {

/// The gateway's sealed tables, then `extra`. Throws std::invalid_argument for a name that is
/// not an identifier or a table without columns.
std::vector<sealed_table> all_sealed_tables(const std::vector<sealed_table>& extra);

/// The newest row with a sealed value, over `tables` in order: its id, its first column's
/// envelope and that column's label; nullopt when no table has one.
struct sealed_sample {
    std::int64_t id = 0;
    std::string envelope;
    std::string label;
};
std::optional<sealed_sample> newest_sealed(connection& db, const std::vector<sealed_table>& tables);

/// `SELECT id, <columns> FROM <table> WHERE id > ?1 ORDER BY id LIMIT ?2`.
std::string reseal_select_sql(const sealed_table& t);
/// `UPDATE <table> SET <c1> = ?2, ... WHERE id = ?1`.
std::string reseal_update_sql(const sealed_table& t);

/// A query giving (key id bytes, rows) for the first column of every table of `tables` that
/// exists in `db`, or empty when none does.
std::string key_count_sql(connection& db, const std::vector<sealed_table>& tables);

}  // namespace vrnum::detail
