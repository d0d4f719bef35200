#include "numbers/one_time_code.hpp"

namespace vrnumd::numbers {
namespace {

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_word(char c) {
    return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

}  // namespace

std::optional<std::string> one_time_code(std::string_view t) {
    std::size_t i = 0;
    while (i < t.size()) {
        if (!is_digit(t[i]) || (i > 0 && is_word(t[i - 1]))) {
            ++i;
            continue;
        }
        std::size_t end = i;
        while (end < t.size() && is_digit(t[end])) {
            ++end;
        }
        std::size_t len = end - i;
        bool free_after = end == t.size() || !is_word(t[end]);
        if (len >= 4 && len <= 8 && free_after) {
            return std::string(t.substr(i, len));
        }
        // "123 456" or "123-456".
        if (len == 3 && end + 4 <= t.size() && (t[end] == ' ' || t[end] == '-') &&
            is_digit(t[end + 1]) && is_digit(t[end + 2]) && is_digit(t[end + 3]) &&
            (end + 4 == t.size() || !is_word(t[end + 4]))) {
            return std::string(t.substr(i, 3)) + std::string(t.substr(end + 1, 3));
        }
        i = end;
    }
    return std::nullopt;
}

}  // namespace vrnumd::numbers
