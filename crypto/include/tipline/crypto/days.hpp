// Days since 1970-01-01 in UTC: the only time Tipline stores or signs, and its YYYY-MM-DD text
// form.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace tipline::crypto {

// The day the system clock is in.
std::int64_t current_day() noexcept;

// YYYY-MM-DD, as folder names, listings and lists show a day.
std::string format_day(std::int64_t days_since_epoch);

// "YYYY-MM-DD" (a real calendar day) as days since the epoch; nullopt for anything else.
std::optional<std::int64_t> parse_day(std::string_view text);

}  // namespace tipline::crypto
