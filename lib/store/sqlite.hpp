#pragma once
// A thin RAII layer over the SQLite C API: connections and prepared statements only (no SQL
// is ever built from values). Errors throw sqlite_error; the store's writer and readers
// catch them at the batch or call boundary. Not thread-safe: one connection per thread.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

struct sqlite3;
struct sqlite3_stmt;

namespace vrnum::detail {

/// A failed SQLite call: the message names the operation and SQLite's reason.
class sqlite_error : public std::runtime_error {
  public:
    sqlite_error(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
    int code() const noexcept { return code_; }

  private:
    int code_;
};

class statement;

/// One connection. Owned by one thread at a time.
class connection {
  public:
    /// Opens (or creates) the file; `read_only` opens without write access.
    connection(const std::filesystem::path& path, bool read_only);
    ~connection();
    connection(const connection&) = delete;
    connection& operator=(const connection&) = delete;

    /// Runs SQL without parameters (schema, PRAGMA, BEGIN/COMMIT).
    void exec(std::string_view sql);
    /// The single integer a query returns (e.g. a PRAGMA), or nullopt when it has no row.
    std::optional<std::int64_t> query_int(std::string_view sql);
    /// The single text a query returns, or nullopt when it has no row.
    std::optional<std::string> query_text(std::string_view sql);
    /// Rows changed by the last statement.
    std::int64_t changes() const;
    sqlite3* handle() const noexcept { return db_; }

  private:
    sqlite3* db_ = nullptr;
};

/// A prepared statement bound to one connection; reset after each use. The SQL must be
/// exactly one statement (text after it, but for blanks and `;`, is refused).
class statement {
  public:
    statement(connection& c, std::string_view sql);
    ~statement();
    statement(const statement&) = delete;
    statement& operator=(const statement&) = delete;

    statement& bind(int index, std::int64_t v);
    statement& bind(int index, double v);
    statement& bind(int index, std::string_view text);
    statement& bind_blob(int index, std::string_view bytes);
    /// As `bind` and `bind_blob`, without SQLite's copy: the bytes must stay valid and
    /// unchanged until the statement is reset (`run` resets it).
    statement& bind_view(int index, std::string_view text);
    statement& bind_blob_view(int index, std::string_view bytes);
    statement& bind_null(int index);
    statement& bind(int index, const std::optional<std::int64_t>& v);
    /// Steps once: true while a row is available.
    bool step();
    /// Steps to the end (for statements that return no rows).
    void run();
    /// Resets for another use and clears bindings.
    void reset();
    /// True between a step that returned a row and the reset (rows still being read).
    bool busy() const noexcept;

    std::int64_t column_int(int i) const;
    double column_double(int i) const;
    bool column_is_null(int i) const;
    std::string column_text(int i) const;
    std::string column_blob(int i) const;

  private:
    /// Throws for a bind's failed result code.
    statement& check_bind(int rc);

    connection& conn_;
    sqlite3_stmt* stmt_ = nullptr;
};

}  // namespace vrnum::detail
