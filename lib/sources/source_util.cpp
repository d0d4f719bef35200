#include "sources/source_util.hpp"

#include <charconv>
#include <cstdint>

#include <boost/url/encode.hpp>
#include <boost/url/params_view.hpp>
#include <boost/url/parse_query.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <vrnum/time.hpp>

#include "normalize/normalize.hpp"
#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

// Unix seconds: 12 digits reach the year 33658.
constexpr std::size_t max_timestamp_digits = 12;

// RFC 6901: `/`-separated tokens in which `~` is `~0` or `~1`. Fields are never the whole
// document, so a field pointer must start with `/`.
bool valid_field_pointer(std::string_view pointer) noexcept {
    if (pointer.empty() || pointer.front() != '/') {
        return false;
    }
    for (std::size_t i = 0; i < pointer.size(); ++i) {
        if (pointer[i] == '~' &&
            (i + 1 == pointer.size() || (pointer[i + 1] != '0' && pointer[i + 1] != '1'))) {
            return false;
        }
    }
    return true;
}

}  // namespace

boost::system::error_code check_unix_time(std::string_view ts,
                                          std::chrono::system_clock::time_point now,
                                          std::chrono::seconds tolerance) {
    std::int64_t secs = 0;
    if (ts.empty() || ts.size() > max_timestamp_digits || ts.front() < '0' || ts.front() > '9') {
        return verify_error::mismatch;
    }
    auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), secs);
    if (ec != std::errc() || end != ts.data() + ts.size()) {
        return verify_error::mismatch;
    }
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto skew = now_s > secs ? now_s - secs : secs - now_s;
    return skew <= tolerance.count() ? boost::system::error_code{}
                                     : make_error_code(verify_error::stale);
}

std::optional<form_fields> parse_form(std::string_view text) {
    // Checked first: the constructor that takes the options throws on a bad query. (Boost
    // 1.81's library lacks the one that takes a parsed view.)
    if (text.empty()) {
        return form_fields{};
    }
    // Boost 1.81's parse_query reads its input up to a NUL (found by the fuzzer): parse a
    // terminated copy, and refuse a NUL byte, which a query cannot hold anyway.
    if (text.find('\0') != std::string_view::npos) {
        return std::nullopt;
    }
    const std::string terminated(text);
    const boost::core::string_view query(terminated.data(), terminated.size());
    if (!boost::urls::parse_query(query)) {
        return std::nullopt;
    }
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    boost::urls::params_view params(query, opts);
    form_fields out;
    out.reserve(params.size());
    for (auto param : params) {
        // An empty body or a trailing `&` gives an empty name with no value: not a field.
        if (param.key.empty() && !param.has_value) {
            continue;
        }
        if (!valid_utf8(param.key) || !valid_utf8(param.value)) {
            return std::nullopt;
        }
        out.emplace_back(std::move(param.key), std::move(param.value));
    }
    return out;
}

std::string encode_form(const form_fields& fields) {
    boost::urls::encoding_opts opts;
    opts.space_as_plus = true;
    std::string out;
    for (const auto& [name, value] : fields) {
        out += out.empty() ? "" : "&";
        out += boost::urls::encode(name, boost::urls::unreserved_chars, opts);
        out += '=';
        out += boost::urls::encode(value, boost::urls::unreserved_chars, opts);
    }
    return out;
}

std::string join_url(std::string_view base_url, std::string_view target) {
    while (!base_url.empty() && base_url.back() == '/') {
        base_url.remove_suffix(1);
    }
    std::string url(base_url);
    url += target;
    return url;
}

const std::string* form_value(const form_fields& fields, std::string_view name) noexcept {
    for (const auto& [n, v] : fields) {
        if (n == name) {
            return &v;
        }
    }
    return nullptr;
}

bool finish_message(message& m, std::string_view source, std::string_view from, std::string_view to,
                    std::string_view text, std::chrono::system_clock::time_point now) {
    if (m.provider_id.empty() || !valid_utf8(m.provider_id) || !valid_utf8(from) ||
        !valid_utf8(to) || !valid_utf8(text)) {
        return false;
    }
    m.to = normalize_number(to);
    if (m.to.empty()) {
        return false;
    }
    m.from = normalize_number(from);
    m.text.assign(text);
    m.source.assign(source);
    m.received_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    return true;
}

namespace json {
namespace {

bool absent(simdjson::error_code ec) noexcept {
    return ec == simdjson::NO_SUCH_FIELD || ec == simdjson::INDEX_OUT_OF_BOUNDS;
}

}  // namespace

bool read_string(element root, std::string_view pointer, std::string_view& out) {
    element e;
    return !root.at_pointer(pointer).get(e) && !e.get_string().get(out) && valid_utf8(out);
}

bool read_id(element root, std::string_view pointer, std::string& out) {
    element e;
    if (root.at_pointer(pointer).get(e)) {
        return false;
    }
    std::string_view s;
    std::int64_t i = 0;
    std::uint64_t u = 0;
    if (!e.get_string().get(s)) {
        out.assign(s);
        return valid_utf8(s);
    }
    if (!e.get_int64().get(i)) {
        out = std::to_string(i);
        return true;
    }
    if (!e.get_uint64().get(u)) {
        out = std::to_string(u);
        return true;
    }
    return false;
}

bool read_time(element root, std::string_view pointer, std::optional<unix_ms>& out) {
    if (pointer.empty()) {
        return true;
    }
    element e;
    auto ec = root.at_pointer(pointer).get(e);
    if (absent(ec) || (!ec && e.is_null())) {
        return true;
    }
    if (ec) {
        return false;
    }
    std::string_view s;
    double d = 0;
    if (!e.get_string().get(s)) {
        out = parse_rfc3339(s);
    } else if (e.is_number() && !e.get_double().get(d)) {
        out = epoch_to_unix_ms(d);
    }
    return out.has_value();
}

bool read_fields(element root, const field_pointers& fields, bool with_id, message& m,
                 std::string_view& from, std::string_view& to, std::string_view& text) {
    return (!with_id || read_id(root, fields.id, m.provider_id)) &&
           read_string(root, fields.from, from) && read_string(root, fields.to, to) &&
           read_string(root, fields.text, text) && read_time(root, fields.sent_at, m.sent_at);
}

simdjson::dom::parser& thread_parser() {
    thread_local simdjson::dom::parser parser;
    return parser;
}

result<parsed_request> parse_message(std::string_view body, const field_pointers& fields,
                                     std::string_view source, std::string_view provider_id,
                                     std::chrono::system_clock::time_point now) {
    const auto malformed = make_error_code(errc::malformed);
    element root;
    if (thread_parser().parse(body.data(), body.size()).get(root) || !root.is_object()) {
        return malformed;
    }
    message msg;
    msg.provider_id.assign(provider_id);
    std::string_view from, to, text;
    if (!read_fields(root, fields, provider_id.empty(), msg, from, to, text) ||
        !finish_message(msg, source, from, to, text, now)) {
        return malformed;
    }
    parsed_request out;
    out.messages.push_back(std::move(msg));
    return out;
}

}  // namespace json

void check_field_pointers(std::string_view source_id, const field_pointers& fields) {
    for (const auto* p : {&fields.id, &fields.from, &fields.to, &fields.text}) {
        if (!valid_field_pointer(*p)) {
            throw std::invalid_argument("source \"" + std::string(source_id) + "\": \"" + *p +
                                        "\" is not a JSON Pointer to a field");
        }
    }
    if (!fields.sent_at.empty() && !valid_field_pointer(fields.sent_at)) {
        throw std::invalid_argument("source \"" + std::string(source_id) + "\": \"" +
                                    fields.sent_at + "\" is not a JSON Pointer to a field");
    }
}

}  // namespace vrnum::detail
