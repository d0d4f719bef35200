#include "payments/php_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <variant>
#include <vector>

#include <simdjson.h>

namespace vrnumd::payments {
namespace {

namespace od = simdjson::ondemand;

// PHP's default json_decode depth: arrays and objects nested deeper fail.
constexpr int max_depth = 512;

struct php_array;
using php_key = std::variant<std::int64_t, std::string>;
using php_value = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string,
                               std::unique_ptr<php_array>>;

// A PHP array: ordered keys, each once.
struct php_array {
    std::vector<std::pair<php_key, php_value>> items;

    void set(php_key k, php_value v) {
        for (auto& [key, value] : items) {
            if (key == k) {
                value = std::move(v);  // a repeated key keeps its first place
                return;
            }
        }
        items.emplace_back(std::move(k), std::move(v));
    }
    bool is_list() const {
        for (std::size_t i = 0; i < items.size(); ++i) {
            const auto* k = std::get_if<std::int64_t>(&items[i].first);
            if (k == nullptr || *k != static_cast<std::int64_t>(i)) {
                return false;
            }
        }
        return true;
    }
};

// ZEND_HANDLE_NUMERIC_STR: "0", "42", "-7" (no leading zeros, no "-0", within int64) are
// integer keys.
php_key key_of(std::string_view s) {
    std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
    bool canonical = !digits.empty() && digits.size() <= 19 &&
                     digits.find_first_not_of("0123456789") == std::string_view::npos &&
                     (digits[0] != '0' || (digits.size() == 1 && s.size() == 1));
    std::int64_t v = 0;
    if (canonical) {
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
        if (ec == std::errc() && p == s.data() + s.size()) {
            return v;
        }
    }
    return std::string(s);
}

// RFC 8259's number: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? (PHP refuses `01`).
bool json_number(std::string_view s) {
    std::size_t i = 0;
    auto digits = [&] {
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            ++i;
        }
        return i - start;
    };
    if (i < s.size() && s[i] == '-') {
        ++i;
    }
    if (i < s.size() && s[i] == '0') {
        ++i;
    } else if (digits() == 0) {
        return false;
    }
    if (i < s.size() && s[i] == '.') {
        ++i;
        if (digits() == 0) {
            return false;
        }
    }
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
            ++i;
        }
        if (digits() == 0) {
            return false;
        }
    }
    return i == s.size();
}

// An integer literal within int64 is a PHP int; anything else (a fraction, an exponent, an
// integer too large) is a double parsed from the text, correctly rounded as PHP does.
std::optional<php_value> number_of(std::string_view raw) {
    while (!raw.empty() &&
           (raw.back() == ' ' || raw.back() == '\n' || raw.back() == '\t' || raw.back() == '\r')) {
        raw.remove_suffix(1);
    }
    if (!json_number(raw)) {
        return std::nullopt;
    }
    if (raw.find_first_of(".eE") == std::string_view::npos) {
        std::int64_t v = 0;
        auto [p, ec] = std::from_chars(raw.data(), raw.data() + raw.size(), v);
        if (ec == std::errc() && p == raw.data() + raw.size()) {
            return v;
        }
    }
    double d = 0;
    std::from_chars(raw.data(), raw.data() + raw.size(), d);
    return d;
}

bool decode(od::value v, php_value& out, int depth);

bool decode_container(od::value v, php_value& out, int depth, bool object) {
    if (depth > max_depth) {
        return false;
    }
    auto arr = std::make_unique<php_array>();
    if (object) {
        od::object o;
        if (v.get_object().get(o) != simdjson::SUCCESS) {
            return false;
        }
        for (auto field : o) {
            std::string_view key;
            od::value child;
            php_value value;
            if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
                field.value().get(child) != simdjson::SUCCESS || !decode(child, value, depth + 1)) {
                return false;
            }
            arr->set(key_of(key), std::move(value));
        }
    } else {
        od::array a;
        if (v.get_array().get(a) != simdjson::SUCCESS) {
            return false;
        }
        std::int64_t i = 0;
        for (auto element : a) {
            od::value child;
            php_value value;
            if (element.get(child) != simdjson::SUCCESS || !decode(child, value, depth + 1)) {
                return false;
            }
            arr->items.emplace_back(i++, std::move(value));
        }
    }
    out = std::move(arr);
    return true;
}

bool decode(od::value v, php_value& out, int depth) {
    od::json_type t;
    if (v.type().get(t) != simdjson::SUCCESS) {
        return false;
    }
    switch (t) {
        case od::json_type::object:
            return decode_container(v, out, depth, true);
        case od::json_type::array:
            return decode_container(v, out, depth, false);
        case od::json_type::string: {
            std::string_view s;
            if (v.get_string().get(s) != simdjson::SUCCESS) {
                return false;
            }
            out = std::string(s);
            return true;
        }
        case od::json_type::number: {
            // The token is checked as a number first (simdjson refuses a malformed one).
            od::number_type nt;
            if (v.get_number_type().get(nt) != simdjson::SUCCESS) {
                return false;
            }
            auto n = number_of(v.raw_json_token());
            if (!n) {
                return false;
            }
            out = std::move(*n);
            return true;
        }
        case od::json_type::boolean: {
            bool b = false;
            if (v.get_bool().get(b) != simdjson::SUCCESS) {
                return false;
            }
            out = b;
            return true;
        }
        case od::json_type::null: {
            bool is_null = false;
            if (v.is_null().get(is_null) != simdjson::SUCCESS || !is_null) {
                return false;
            }
            out = nullptr;
            return true;
        }
    }
    return false;
}

void encode_string(std::string_view s, std::string& out) {
    static constexpr char hex[] = "0123456789abcdef";
    out.push_back('"');
    for (std::size_t i = 0; i < s.size(); ++i) {
        auto c = static_cast<unsigned char>(s[i]);
        switch (c) {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '/':
                out += "\\/";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                if (c < 0x20) {
                    out += "\\u00";
                    out.push_back(hex[c >> 4]);
                    out.push_back(hex[c & 0xf]);
                } else if (c == 0xE2 && i + 2 < s.size() && s[i + 1] == '\x80' &&
                           (s[i + 2] == '\xA8' || s[i + 2] == '\xA9')) {
                    // U+2028 and U+2029: escaped without JSON_UNESCAPED_LINE_TERMINATORS.
                    out += s[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
                    i += 2;
                } else {
                    out.push_back(static_cast<char>(c));
                }
        }
    }
    out.push_back('"');
}

void encode(const php_value& v, std::string& out);

void encode_array(const php_array& a, std::string& out) {
    bool list = a.is_list();
    out.push_back(list ? '[' : '{');
    bool first = true;
    for (const auto& [k, v] : a.items) {
        if (!first) {
            out.push_back(',');
        }
        first = false;
        if (!list) {
            if (const auto* i = std::get_if<std::int64_t>(&k)) {
                encode_string(std::to_string(*i), out);
            } else {
                encode_string(std::get<std::string>(k), out);
            }
            out.push_back(':');
        }
        encode(v, out);
    }
    out.push_back(list ? ']' : '}');
}

void encode(const php_value& v, std::string& out) {
    std::visit(
        [&](const auto& x) {
            using T = std::decay_t<decltype(x)>;
            if constexpr (std::is_same_v<T, std::nullptr_t>) {
                out += "null";
            } else if constexpr (std::is_same_v<T, bool>) {
                out += x ? "true" : "false";
            } else if constexpr (std::is_same_v<T, std::int64_t>) {
                out += std::to_string(x);
            } else if constexpr (std::is_same_v<T, double>) {
                out += php_double(x);
            } else if constexpr (std::is_same_v<T, std::string>) {
                encode_string(x, out);
            } else {
                encode_array(*x, out);
            }
        },
        v);
}

std::optional<std::string> reencode(std::string_view body, std::string_view drop);

}  // namespace

std::string php_double(double d) {
    if (!std::isfinite(d)) {
        return "0";  // json_encode fails on INF/NAN; JSON input cannot produce them
    }
    // The shortest digits that round-trip (dtoa mode 0), as "d.ddde±x".
    char buf[64];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
    std::string_view sci(buf, static_cast<std::size_t>(end - buf));
    bool negative = sci.starts_with('-');
    if (negative) {
        sci.remove_prefix(1);
    }
    std::size_t e = sci.find('e');
    std::string digits;
    for (char c : sci.substr(0, e)) {
        if (c != '.') {
            digits.push_back(c);
        }
    }
    int exponent = 0;
    std::from_chars(sci.data() + e + 1 + (sci[e + 1] == '+' ? 1 : 0), sci.data() + sci.size(),
                    exponent);
    while (digits.size() > 1 && digits.back() == '0') {
        digits.pop_back();
    }
    int decpt = exponent + 1;  // the value is 0.DIGITS x 10^decpt
    std::string out = negative ? "-" : "";
    if (digits == "0") {
        return out + "0";
    }
    if (decpt < 0 ? decpt < -3 : decpt > 17) {
        // php_gcvt's exponential form: d.ddd (at least one digit after the point), e, sign,
        // the exponent without leading zeros.
        out += digits[0];
        out += '.';
        out += digits.size() > 1 ? digits.substr(1) : "0";
        out += 'e';
        int x = decpt - 1;
        out += x < 0 ? '-' : '+';
        out += std::to_string(x < 0 ? -x : x);
    } else if (decpt <= 0) {
        out += "0.";
        out.append(static_cast<std::size_t>(-decpt), '0');
        out += digits;
    } else {
        for (int i = 0; i < decpt; ++i) {
            out += static_cast<std::size_t>(i) < digits.size() ? digits[i] : '0';
        }
        if (digits.size() > static_cast<std::size_t>(decpt)) {
            out += '.';
            out += digits.substr(static_cast<std::size_t>(decpt));
        }
    }
    return out;
}

std::optional<std::string> php_reencode(std::string_view body, std::string_view drop) {
    try {
        return reencode(body, drop);
    } catch (const simdjson::simdjson_error&) {
        return std::nullopt;  // a conversion that checks as it goes found a malformed token
    }
}

namespace {

std::optional<std::string> reencode(std::string_view body, std::string_view drop) {
    od::parser parser(body.size() + 64);
    simdjson::padded_string padded(body);
    od::document doc;
    if (parser.iterate(padded).get(doc) != simdjson::SUCCESS) {
        return std::nullopt;
    }
    od::value root;
    od::json_type t;
    if (doc.get_value().get(root) != simdjson::SUCCESS || root.type().get(t) != simdjson::SUCCESS ||
        (t != od::json_type::object && t != od::json_type::array)) {
        return std::nullopt;
    }
    php_value tree;
    if (!decode(root, tree, 1)) {
        return std::nullopt;
    }
    // Anything after the root value (but blanks) is not JSON: a location left means a token.
    if (doc.current_location().error() == simdjson::SUCCESS) {
        return std::nullopt;
    }
    auto& top = *std::get<std::unique_ptr<php_array>>(tree);
    if (!drop.empty()) {
        std::erase_if(top.items, [&](const auto& kv) { return kv.first == key_of(drop); });
    }
    std::string out;
    out.reserve(body.size());
    encode(tree, out);
    return out;
}

}  // namespace

}  // namespace vrnumd::payments
