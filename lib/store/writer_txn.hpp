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

/// Queries, opening and blind indexes over one connection, for both kinds of transaction.
class sql_access {
  public:
    sql_access(connection& db, statement_cache& cache, const keyring& keys)
        : db_(db), cache_(cache), keys_(keys) {}
    std::int64_t exec(std::string_view sql, std::initializer_list<sql_value> params);
    std::size_t query(std::string_view sql, std::initializer_list<sql_value> params,
                      const std::function<void(const sql_row&)>& on_row);
    connection& db() const noexcept { return db_; }
    const keyring& keys() const noexcept { return keys_; }

  private:
    statement& prepare(std::string_view sql, std::initializer_list<sql_value> params);

    connection& db_;
    statement_cache& cache_;
    const keyring& keys_;
};

/// The read side of a transaction over `sql_access`, shared by both kinds.
template <class Interface>
class txn_base : public Interface {
  public:
    txn_base(connection& db, statement_cache& cache, const keyring& keys) : sql_(db, cache, keys) {}
    std::size_t query(std::string_view sql, std::initializer_list<sql_value> params,
                      const std::function<void(const sql_row&)>& on_row) override {
        return sql_.query(sql, params, on_row);
    }
    result<std::string> open(std::string_view envelope, std::int64_t row_id,
                             std::string_view column) const override {
        return sql_.keys().open(envelope, row_id, column);
    }
    std::string blind_index(std::string_view value) const override {
        return sql_.keys().blind_index(value);
    }

  protected:
    sql_access sql_;
};

using reader_txn = txn_base<read_txn>;

class writer_txn final : public txn_base<write_txn> {
  public:
    using txn_base::txn_base;
    std::int64_t exec(std::string_view sql, std::initializer_list<sql_value> params) override {
        return sql_.exec(sql, params);
    }
    std::int64_t last_insert_id() const override;
    std::string seal(std::string_view plaintext, std::int64_t row_id,
                     std::string_view column) const override {
        return sql_.keys().seal(plaintext, row_id, column);
    }
};

}  // namespace vrnum::detail
