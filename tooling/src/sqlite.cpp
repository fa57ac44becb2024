// The shared SQLite helpers.
#include "tipline/tooling/sqlite.hpp"

namespace tipline::tooling {

SqliteError::SqliteError(const std::string& what, int sqlite_code)
    : std::runtime_error(what), code_(sqlite_code) {}

bool SqliteError::full() const noexcept { return (code_ & 0xFF) == SQLITE_FULL; }

void throw_sqlite_error(sqlite3* db, std::string_view what) {
    throw SqliteError("database " + std::string(what) + ": " + sqlite3_errmsg(db),
                      sqlite3_extended_errcode(db));
}

void exec_sql(sqlite3* db, const char* sql) {
    if (sqlite3_exec(db, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        throw_sqlite_error(db, "statement");
}

Statement::Statement(sqlite3* db, std::string_view sql) : db_(db), stmt_(nullptr), owned_(true) {
    if (sqlite3_prepare_v2(db, sql.data(), static_cast<int>(sql.size()), &stmt_, nullptr) !=
        SQLITE_OK) {
        throw_sqlite_error(db, "prepare");
    }
}

Statement::~Statement() {
    if (owned_) {
        sqlite3_finalize(stmt_);
        return;
    }
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

void Statement::check(int rc, const char* what) {
    if (rc != SQLITE_OK) throw_sqlite_error(db_, what);
}

Statement& Statement::bind(int i, std::span<const unsigned char> blob) {
    // A null pointer would bind NULL; an empty blob stays a blob.
    static const unsigned char empty = 0;
    check(sqlite3_bind_blob64(stmt_, i, blob.empty() ? &empty : blob.data(), blob.size(),
                              SQLITE_STATIC),
          "bind");
    return *this;
}

Statement& Statement::bind(int i, std::int64_t v) {
    check(sqlite3_bind_int64(stmt_, i, v), "bind");
    return *this;
}

Statement& Statement::bind(int i, std::string_view text) {
    check(sqlite3_bind_text64(stmt_, i, text.empty() ? "" : text.data(), text.size(), SQLITE_STATIC,
                              SQLITE_UTF8),
          "bind");
    return *this;
}

Statement& Statement::bind_null(int i) {
    check(sqlite3_bind_null(stmt_, i), "bind");
    return *this;
}

bool Statement::step() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    throw_sqlite_error(db_, "step");
}

void Statement::run() {
    while (step()) {
    }
}

std::span<const unsigned char> Statement::blob(int col) {
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(stmt_, col));
    return {p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col))};
}

std::string Statement::text(int col) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
             : std::string();
}

}  // namespace tipline::tooling
