#include "store/sqlite.hpp"

#include <sqlite3.h>

namespace vrnum::detail {
namespace {

[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what) {
    std::string msg(what);
    msg += ": ";
    msg += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    throw sqlite_error(msg, rc);
}

}  // namespace

connection::connection(const std::filesystem::path& path, bool read_only) {
    int flags = read_only ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    flags |= SQLITE_OPEN_NOMUTEX;
    int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
    if (rc != SQLITE_OK) {
        std::string msg = "cannot open " + path.string();
        sqlite3* db = db_;
        db_ = nullptr;
        if (db) {
            msg += std::string(": ") + sqlite3_errmsg(db);
            sqlite3_close(db);
        }
        throw sqlite_error(msg, rc);
    }
    sqlite3_extended_result_codes(db_, 1);
    // Other processes (CLI subcommands) may hold the write lock for a moment.
    sqlite3_busy_timeout(db_, 5000);
}

connection::~connection() {
    sqlite3_close_v2(db_);
}

void connection::exec(std::string_view sql) {
    std::string text(sql);
    char* err = nullptr;
    int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &err);
    if (rc != SQLITE_OK) {
        std::string msg = err ? err : sqlite3_errstr(rc);
        sqlite3_free(err);
        throw sqlite_error("SQL failed: " + msg, rc);
    }
}

std::optional<std::int64_t> connection::query_int(std::string_view sql) {
    statement s(*this, sql);
    if (!s.step() || s.column_is_null(0)) {
        return std::nullopt;
    }
    return s.column_int(0);
}

std::optional<std::string> connection::query_text(std::string_view sql) {
    statement s(*this, sql);
    if (!s.step() || s.column_is_null(0)) {
        return std::nullopt;
    }
    return s.column_text(0);
}

std::int64_t connection::changes() const {
    return sqlite3_changes64(db_);
}

statement::statement(connection& c, std::string_view sql) : conn_(c) {
    const char* tail = nullptr;
    int rc = sqlite3_prepare_v3(c.handle(), sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK) {
        fail(c.handle(), rc, "prepare failed");
    }
    std::string_view rest(tail, static_cast<std::size_t>(sql.data() + sql.size() - tail));
    if (!stmt_ || rest.find_first_not_of(" \t\r\n;") != std::string_view::npos) {
        sqlite3_finalize(stmt_);
        throw sqlite_error(
            stmt_ ? "prepare failed: more than one statement" : "prepare failed: no statement",
            SQLITE_MISUSE);
    }
}

statement::~statement() {
    sqlite3_finalize(stmt_);
}

statement& statement::check_bind(int rc) {
    if (rc != SQLITE_OK) {
        fail(conn_.handle(), rc, "bind failed");
    }
    return *this;
}

statement& statement::bind(int index, std::int64_t v) {
    return check_bind(sqlite3_bind_int64(stmt_, index, v));
}

statement& statement::bind(int index, double v) {
    return check_bind(sqlite3_bind_double(stmt_, index, v));
}

statement& statement::bind(int index, std::string_view text) {
    return check_bind(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
}

statement& statement::bind_blob(int index, std::string_view bytes) {
    return check_bind(
        sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT));
}

statement& statement::bind_view(int index, std::string_view text) {
    return check_bind(
        sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
}

statement& statement::bind_blob_view(int index, std::string_view bytes) {
    return check_bind(sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_STATIC));
}

statement& statement::bind_null(int index) {
    return check_bind(sqlite3_bind_null(stmt_, index));
}

statement& statement::bind(int index, const std::optional<std::int64_t>& v) {
    return v ? bind(index, *v) : bind_null(index);
}

bool statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);  // no bound view outlives a failed step
    fail(conn_.handle(), rc, "step failed");
}

void statement::run() {
    while (step()) {
    }
    reset();
}

bool statement::busy() const noexcept {
    return sqlite3_stmt_busy(stmt_) != 0;
}

void statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

std::int64_t statement::column_int(int i) const {
    return sqlite3_column_int64(stmt_, i);
}

double statement::column_double(int i) const {
    return sqlite3_column_double(stmt_, i);
}

bool statement::column_is_null(int i) const {
    return sqlite3_column_type(stmt_, i) == SQLITE_NULL;
}

std::string statement::column_text(int i) const {
    const auto* p = sqlite3_column_text(stmt_, i);
    return p ? std::string(reinterpret_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string{};
}

std::string statement::column_blob(int i) const {
    const void* p = sqlite3_column_blob(stmt_, i);
    return p ? std::string(static_cast<const char*>(p),
                           static_cast<std::size_t>(sqlite3_column_bytes(stmt_, i)))
             : std::string{};
}

}  // namespace vrnum::detail
