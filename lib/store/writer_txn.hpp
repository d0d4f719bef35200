#pragma once
// vrnum::write_txn over the writer's connection, with a cache of prepared statements keyed by
// their SQL. Lives on the writer thread only.

#include <memory>
#include <string>
#include <unordered_map>

#include <vrnum/write_txn.hpp>

#include "crypto/seal.hpp"
#include "store/sqlite.hpp"

namespace vrnum::detail {

/// Prepared statements of one connection, by SQL text. Not thread-safe (the writer's own).
class statement_cache {
  public:
    explicit statement_cache(connection& db) : db_(db) {}
    statement& get(std::string_view sql);

  private:
    connection& db_;
    std::unordered_map<std::string, std::unique_ptr<statement>> cache_;
};

class writer_txn final : public write_txn {
  public:
    writer_txn(connection& db, statement_cache& cache, const keyring& keys)
        : db_(db), cache_(cache), keys_(keys) {}

    std::int64_t exec(std::string_view sql, std::initializer_list<sql_value> params) override;
    std::size_t query(std::string_view sql, std::initializer_list<sql_value> params,
                      const std::function<void(const sql_row&)>& on_row) override;
    std::int64_t last_insert_id() const override;
    std::string seal(std::string_view plaintext, std::int64_t row_id,
                     std::string_view column) const override;
    result<std::string> open(std::string_view envelope, std::int64_t row_id,
                             std::string_view column) const override;
    std::string blind_index(std::string_view value) const override;

  private:
    statement& prepare(std::string_view sql, std::initializer_list<sql_value> params);

    connection& db_;
    statement_cache& cache_;
    const keyring& keys_;
};

}  // namespace vrnum::detail
