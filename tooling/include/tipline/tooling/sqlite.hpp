// The SQLite C API as the server's store and the responders' case store use it: an error that
// keeps SQLite's code, and one use of a prepared statement.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace tipline::tooling {

class SqliteError : public std::runtime_error {
  public:
    SqliteError(const std::string& what, int sqlite_code);
    int sqlite_code() const noexcept { return code_; }
    bool full() const noexcept;  // the disk (or the database's size limit) is full

  private:
    int code_;
};

// Throws SqliteError naming what failed and SQLite's message for db.
[[noreturn]] void throw_sqlite_error(sqlite3* db, std::string_view what);

// Runs SQL that returns no rows (several statements are allowed).
void exec_sql(sqlite3* db, const char* sql);

// One use of a prepared statement: reset and unbound again when the use ends. The statement is
// finalized too when this object prepared it.
class Statement {
  public:
    Statement(sqlite3* db, sqlite3_stmt* stmt) noexcept : db_(db), stmt_(stmt) {}
    Statement(sqlite3* db, std::string_view sql);  // prepares and owns
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;

    // Bound without a copy (SQLITE_STATIC): what is bound must outlive the use, so never bind a
    // temporary.
    Statement& bind(int i, std::span<const unsigned char> blob);
    Statement& bind(int i, std::int64_t v);
    Statement& bind(int i, std::string_view text);
    Statement& bind_null(int i);
    // True while a row is available.
    bool step();
    void run();
    std::int64_t int64(int col) { return sqlite3_column_int64(stmt_, col); }
    int columns() { return sqlite3_column_count(stmt_); }
    bool null(int col) { return sqlite3_column_type(stmt_, col) == SQLITE_NULL; }
    std::span<const unsigned char> blob(int col);
    std::string text(int col);

  private:
    void check(int rc, const char* what);

    sqlite3* db_;
    sqlite3_stmt* stmt_;
    bool owned_ = false;
};

}  // namespace tipline::tooling
