// The case store's tables (docs/FORMAT.md section 20.5).
#pragma once

#include <sqlite3.h>

#include <filesystem>

namespace tipline::responder {

inline constexpr int schema_version = 3;

// Creates every table of an empty database.
void create_schema(sqlite3* db);

// After loading: refuses a database of another schema version (ToolError), and sets the pragmas
// a loaded database needs.
void check_schema(sqlite3* db, const std::filesystem::path& store);

}  // namespace tipline::responder
