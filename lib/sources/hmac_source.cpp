#include "sources/hmac_source.hpp"

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include <vrnum/time.hpp>

#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Maps base64url to the standard alphabet; 0 for a character of neither.
char base64_standard(char c) noexcept {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
        c == '/') {
        return c;
    }
    return c == '-' ? '+' : c == '_' ? '/' : '\0';
}

const char* digest_name(std::string_view algorithm) {
    if (algorithm == "sha1") {
        return "SHA1";
    }
    if (algorithm == "sha256") {
        return "SHA256";
    }
    if (algorithm == "sha512") {
        return "SHA512";
    }
    throw std::invalid_argument("hmac algorithm must be sha1, sha256 or sha512, not \"" +
                                std::string(algorithm) + "\"");
}

// RFC 6901: empty (the whole document) or `/`-separated tokens in which `~` is `~0` or `~1`.
// Fields are never the whole document, so a field pointer must start with `/`.
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

void check_fields(const std::string& id, const field_pointers& f) {
    for (const auto* p : {&f.id, &f.from, &f.to, &f.text}) {
        if (!valid_field_pointer(*p)) {
            throw std::invalid_argument("hmac source \"" + id + "\": \"" + *p +
                                        "\" is not a JSON Pointer to a field");
        }
    }
    if (!f.sent_at.empty() && !valid_field_pointer(f.sent_at)) {
        throw std::invalid_argument("hmac source \"" + id + "\": \"" + f.sent_at +
                                    "\" is not a JSON Pointer to a field");
    }
}

// A longer header cannot hold a digest of ours; refusing it early bounds the work.
constexpr std::size_t max_signature_chars = 512;
// Unix seconds: 12 digits reach the year 33658.
constexpr std::size_t max_timestamp_digits = 12;

using simdjson::dom::element;

// The value `pointer` names; NO_SUCH_FIELD or INDEX_OUT_OF_BOUNDS when absent, another error
// for a pointer that does not parse or that walks into a scalar.
simdjson::error_code lookup(element root, const std::string& pointer, element& out) {
    return root.at_pointer(pointer).get(out);
}

bool absent(simdjson::error_code ec) noexcept {
    return ec == simdjson::NO_SUCH_FIELD || ec == simdjson::INDEX_OUT_OF_BOUNDS;
}

// A required string field, valid UTF-8 (simdjson decodes escapes; a lone escaped surrogate
// must not slip through as CESU-8).
bool read_string(element root, const std::string& pointer, std::string_view& out) {
    element e;
    return !lookup(root, pointer, e) && !e.get_string().get(out) && valid_utf8(out);
}

// The provider's message id: a string, or an integer as its decimal text.
bool read_id(element root, const std::string& pointer, std::string& out) {
    element e;
    if (lookup(root, pointer, e)) {
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

// Optional `sent_at`: false only for a value that is present but unusable.
bool read_sent_at(element root, const std::string& pointer, std::optional<unix_ms>& out) {
    if (pointer.empty()) {
        return true;
    }
    element e;
    auto ec = lookup(root, pointer, e);
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

}  // namespace

std::optional<std::string> decode_hex(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out(text.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(text[2 * i]);
        int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out[i] = static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::size_t pad = 0;
    while (pad < 2 && !text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        ++pad;
    }
    // With padding the total must be whole quads; without, a lone trailing char is impossible.
    if ((pad > 0 && (text.size() + pad) % 4 != 0) || text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string in;
    in.reserve(text.size() + 3);
    for (char c : text) {
        char s = base64_standard(c);
        if (s == '\0') {
            return std::nullopt;
        }
        in.push_back(s);
    }
    pad = (4 - in.size() % 4) % 4;
    in.append(pad, '=');
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    // EVP_DecodeBlock counts padding as zero bytes.
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
        return std::nullopt;
    }
    out.resize(out.size() - pad);
    return out;
}

std::string_view find_header(const request_view& req, std::string_view name) noexcept {
    for (const auto& [n, v] : req.headers) {
        if (iequals_ascii(n, name)) {
            return v;
        }
    }
    return {};
}

hmac_source::hmac_source(const source_config& cfg)
    : id_(cfg.id),
      header_(cfg.header),
      prefix_(cfg.prefix),
      timestamp_header_(cfg.timestamp_header),
      tolerance_(cfg.tolerance_seconds),
      fields_(cfg.fields) {
    if (cfg.secrets.empty() || header_.empty()) {
        throw std::invalid_argument("hmac source \"" + id_ + "\" needs a secret and a header");
    }
    if (cfg.encoding != "hex" && cfg.encoding != "base64") {
        throw std::invalid_argument("hmac encoding must be hex or base64");
    }
    check_fields(id_, fields_);
    base64_ = cfg.encoding == "base64";
    const char* digest = digest_name(cfg.algorithm);
    for (const auto& secret : cfg.secrets) {
        if (secret.empty()) {
            throw std::invalid_argument("hmac source \"" + id_ + "\": a secret is empty");
        }
        keys_.push_back(std::make_unique<hmac_key>(digest, secret));
        digest_size_ = keys_.back()->size();
    }
}

hmac_source::~hmac_source() = default;

std::string_view hmac_source::id() const noexcept {
    return id_;
}

boost::system::error_code hmac_source::check_timestamp(
    std::string_view ts, std::chrono::system_clock::time_point now) const {
    std::int64_t secs = 0;
    if (ts.size() > max_timestamp_digits || ts.front() < '0' || ts.front() > '9') {
        return verify_error::mismatch;
    }
    auto [end, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), secs);
    if (ec != std::errc() || end != ts.data() + ts.size()) {
        return verify_error::mismatch;
    }
    auto now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    auto skew = now_s > secs ? now_s - secs : secs - now_s;
    return skew <= tolerance_.count() ? boost::system::error_code{}
                                      : make_error_code(verify_error::stale);
}

std::optional<std::string> hmac_source::digest(const hmac_key& key, std::string_view ts,
                                               std::string_view body) const {
    return timestamp_header_.empty() ? key.mac({body}) : key.mac({ts, ".", body});
}

bool hmac_source::matches(const hmac_key& key, std::string_view ts, std::string_view body,
                          std::string_view expected, bool& failed) const {
    auto d = digest(key, ts, body);
    if (!d || d->size() != expected.size()) {
        failed = failed || !d;
        return false;
    }
    return CRYPTO_memcmp(d->data(), expected.data(), d->size()) == 0;
}

boost::system::error_code hmac_source::verify(const request_view& req, std::string_view,
                                              std::chrono::system_clock::time_point now) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    std::string_view sig = trim_ascii(find_header(req, header_));
    if (sig.empty()) {
        return verify_error::missing;
    }
    if (sig.size() > max_signature_chars || sig.size() < prefix_.size() ||
        !iequals_ascii(sig.substr(0, prefix_.size()), prefix_)) {
        return mismatch;
    }
    sig.remove_prefix(prefix_.size());
    auto expected = base64_ ? decode_base64(sig) : decode_hex(sig);
    if (!expected || expected->size() != digest_size_) {
        return mismatch;
    }
    std::string_view ts;
    if (!timestamp_header_.empty()) {
        ts = trim_ascii(find_header(req, timestamp_header_));
        if (ts.empty()) {
            return verify_error::missing;
        }
        if (auto ec = check_timestamp(ts, now)) {
            return ec;
        }
    }
    bool failed = false;
    for (const auto& key : keys_) {
        if (matches(*key, ts, req.body, *expected, failed)) {
            return {};
        }
    }
    return failed ? make_error_code(errc::internal) : mismatch;
}

bool hmac_source::accepts_content_type(std::string_view content_type) const noexcept {
    // Some senders post without a Content-Type; what they post is still read as JSON.
    return media_type_of(content_type).empty() || is_json_media_type(content_type);
}

result<parsed_request> hmac_source::parse(const request_view& req,
                                          std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    // One parser per thread: its buffers are reused, so a request allocates only its message.
    // The DOM parser validates the whole body as UTF-8 (UTF8_ERROR) and every escape.
    thread_local simdjson::dom::parser parser;
    element root;
    if (parser.parse(req.body.data(), req.body.size()).get(root) || !root.is_object()) {
        return malformed;
    }
    message msg;
    std::string_view from, to, text;
    if (!read_id(root, fields_.id, msg.provider_id) || msg.provider_id.empty() ||
        !read_string(root, fields_.from, from) || !read_string(root, fields_.to, to) ||
        !read_string(root, fields_.text, text) ||
        !read_sent_at(root, fields_.sent_at, msg.sent_at)) {
        return malformed;
    }
    msg.to = normalize_number(to);
    if (msg.to.empty()) {
        return malformed;
    }
    msg.from = normalize_number(from);
    msg.text.assign(text);
    msg.source = id_;
    msg.received_at =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    parsed_request out;
    out.messages.push_back(std::move(msg));
    return out;
}

}  // namespace vrnum::detail
