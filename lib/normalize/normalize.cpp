#include "normalize/normalize.hpp"

#include <cmath>
#include <cstddef>

#include <simdjson.h>

namespace vrnum::detail {
namespace {

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool is_separator(char c) noexcept {
    return c == ' ' || c == '\t' || c == '-' || c == '.' || c == '(' || c == ')';
}

// E.164 caps a number at 15 digits; 8 keeps short codes (5-6 digits) out.
constexpr std::size_t min_digits = 8;
constexpr std::size_t max_digits = 15;

// Year 9999-12-31T23:59:59.999Z.
constexpr double max_unix_ms = 253402300799999.0;

}  // namespace

bool valid_utf8(std::string_view text) noexcept {
    return simdjson::validate_utf8(text.data(), text.size());
}

std::string_view trim_ascii(std::string_view text) noexcept {
    while (!text.empty() && is_space(text.front())) {
        text.remove_prefix(1);
    }
    while (!text.empty() && is_space(text.back())) {
        text.remove_suffix(1);
    }
    return text;
}

std::string normalize_number(std::string_view raw) {
    std::string_view trimmed = trim_ascii(raw);
    // Bail out before copying anything that cannot be a number with separators.
    if (trimmed.size() > 64) {
        return std::string(trimmed);
    }
    // `out` is "+" and the digits; a leading "00" is dropped once all are in.
    std::string out(1, '+');
    out.reserve(trimmed.size() + 1);
    bool plus = false;
    for (char c : trimmed) {
        if (c >= '0' && c <= '9') {
            out.push_back(c);
        } else if (c == '+' && !plus && out.size() == 1) {
            plus = true;
        } else if (!is_separator(c)) {
            return std::string(trimmed);
        }
    }
    if (!plus && out.size() >= 3 && out[1] == '0' && out[2] == '0') {
        out.erase(1, 2);
    }
    std::size_t digits = out.size() - 1;
    if (digits < min_digits || digits > max_digits || out[1] == '0') {
        return std::string(trimmed);
    }
    return out;
}

std::optional<unix_ms> epoch_to_unix_ms(double value) noexcept {
    if (!std::isfinite(value) || value < 0) {
        return std::nullopt;
    }
    double ms = value > 1e11 ? value : value * 1000.0;
    if (ms > max_unix_ms) {
        return std::nullopt;
    }
    return static_cast<unix_ms>(std::llround(ms));
}

}  // namespace vrnum::detail
