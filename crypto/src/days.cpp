// Calendar days in UTC with std::chrono, so every part of Tipline counts and spells them alike.
#include "tipline/crypto/days.hpp"

#include <chrono>
#include <cstdio>

namespace tipline::crypto {

std::int64_t current_day() noexcept {
    using namespace std::chrono;
    return duration_cast<days>(system_clock::now().time_since_epoch()).count();
}

std::string format_day(std::int64_t days_since_epoch) {
    using namespace std::chrono;
    const year_month_day ymd{sys_days(days(days_since_epoch))};
    const int y = static_cast<int>(ymd.year());
    if (!ymd.ok() || y < 0 || y > 9999) return "unknown";
    char out[16];
    std::snprintf(out, sizeof out, "%04d-%02u-%02u", y, static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()));
    return out;
}

std::optional<std::int64_t> parse_day(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    unsigned y = 0, m = 0, d = 0;
    const auto digits = [&](std::size_t at, std::size_t n, unsigned& out) {
        for (std::size_t i = at; i < at + n; ++i) {
            if (text[i] < '0' || text[i] > '9') return false;
            out = out * 10 + static_cast<unsigned>(text[i] - '0');
        }
        return true;
    };
    if (!digits(0, 4, y) || !digits(5, 2, m) || !digits(8, 2, d)) return std::nullopt;
    using namespace std::chrono;
    const year_month_day ymd{year(static_cast<int>(y)), month(m), day(d)};
    if (!ymd.ok()) return std::nullopt;
    return sys_days(ymd).time_since_epoch().count();
}

}  // namespace tipline::crypto
