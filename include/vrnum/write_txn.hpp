#pragma once
/// \file
/// What other components see of the store: a read or a write transaction, prepared
/// statements with bound parameters only (no SQL is built from values), and the store's
/// sealing keys for their own sensitive columns.

#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include <vrnum/error.hpp>

namespace vrnum {

/// Bytes bound as a BLOB (a `std::string_view` binds as TEXT).
struct blob {
    std::string_view bytes;
};

/// One parameter: NULL, an integer, a real, text or a blob.
using sql_value = std::variant<std::nullptr_t, std::int64_t, double, std::string_view, blob>;

/// One row of a query's result, valid only during the callback that receives it.
class sql_row {
  public:
    virtual bool is_null(int column) const = 0;
    virtual std::int64_t get_int(int column) const = 0;
    virtual double get_double(int column) const = 0;
    virtual std::string get_text(int column) const = 0;
    virtual std::string get_blob(int column) const = 0;

  protected:
    ~sql_row() = default;
};

/// One read transaction on one of the store's read connections (a consistent snapshot), handed
/// to `store::async_read` functions; valid only during that call. Statements are prepared once
/// per connection and cached by their text. A SQLite error throws `std::runtime_error`; so
/// does SQL with more than one statement in it.
class read_txn {
  public:
    /// Runs a query with `params` bound to ?1, ?2, ... in order, calling `on_row` for each
    /// row; how many rows there were.
    virtual std::size_t query(std::string_view sql, std::initializer_list<sql_value> params,
                              const std::function<void(const sql_row&)>& on_row) = 0;
    /// Opens what `write_txn::seal` made for the same row and column.
    virtual result<std::string> open(std::string_view envelope, std::int64_t row_id,
                                     std::string_view column) const = 0;
    /// The store's blind index of `value` (HMAC-SHA256 under a derived key, lower-case hex),
    /// for looking up a sealed column by an equal value.
    virtual std::string blind_index(std::string_view value) const = 0;

  protected:
    ~read_txn() = default;
};

/// One write transaction on the store's writer thread, handed to `store::async_write`
/// functions and to the append hook; valid only during that call. Reads here see the
/// transaction's own writes.
class write_txn : public read_txn {
  public:
    /// Runs one statement with `params` bound to ?1, ?2, ... in order; rows changed.
    virtual std::int64_t exec(std::string_view sql,
                              std::initializer_list<sql_value> params = {}) = 0;
    /// The rowid of the last row inserted on this connection.
    virtual std::int64_t last_insert_id() const = 0;
    /// Seals `plaintext` for column `column` of row `row_id` with the store's current key
    /// (AES-256-GCM, the row and column bound in; DESIGN §6).
    virtual std::string seal(std::string_view plaintext, std::int64_t row_id,
                             std::string_view column) const = 0;

  protected:
    ~write_txn() = default;
};

}  // namespace vrnum
