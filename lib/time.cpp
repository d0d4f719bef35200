#include <charconv>
#include <chrono>
#include <cstdio>
#include <ctime>

#include <vrnum/time.hpp>

namespace vrnum {
namespace {

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) {
        return false;
    }
    auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
    return ec == std::errc() && end == s.data() + pos + n;
}

}  // namespace

std::string format_rfc3339(unix_ms t) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    int ms = static_cast<int>(t % 1000);
    if (ms < 0) {
        ms += 1000;
        --secs;
    }
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    std::size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", ms);
    return buf;
}

std::optional<unix_ms> parse_rfc3339(std::string_view s) {
    int year = 0, mon = 0, day = 0, hour = 0, min = 0, sec = 0;
    if (s.size() < 20 || !digits(s, 0, 4, year) || s[4] != '-' || !digits(s, 5, 2, mon) ||
        s[7] != '-' || !digits(s, 8, 2, day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, hour) || s[13] != ':' || !digits(s, 14, 2, min) || s[16] != ':' ||
        !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    int ms = 0;
    if (s[pos] == '.') {
        std::size_t start = ++pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 3) {
                ms = ms * 10 + (s[pos] - '0');
            }
            ++pos;
        }
        if (pos == start) {
            return std::nullopt;
        }
        for (std::size_t k = pos - start; k < 3; ++k) {
            ms *= 10;
        }
    }
    int offset_min = 0;
    if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
        ++pos;
    } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
        int oh = 0, om = 0;
        if (!digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
            !digits(s, pos + 4, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_min = (oh * 60 + om) * (s[pos] == '+' ? 1 : -1);
        pos += 6;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    using namespace std::chrono;
    year_month_day ymd{std::chrono::year{year}, std::chrono::month{static_cast<unsigned>(mon)},
                       std::chrono::day{static_cast<unsigned>(day)}};
    if (!ymd.ok()) {
        return std::nullopt;
    }
    auto days_since = sys_days{ymd}.time_since_epoch();
    unix_ms t = duration_cast<milliseconds>(days_since).count() +
                ((hour * 60LL + min) * 60LL + std::min(sec, 59)) * 1000LL + ms -
                offset_min * 60'000LL;
    return t;
}

unix_ms now_unix_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace vrnum
