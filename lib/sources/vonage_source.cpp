#include "sources/vonage_source.hpp"

#include <algorithm>
#include <charconv>
#include <stdexcept>

#include <openssl/crypto.h>

#include <vrnum/time.hpp>

#include "crypto/digest.hpp"
#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

// What a hostile request can make us do: a JWT is a few hundred bytes; a SHA-512 hex `sig`
// has 128 characters.
constexpr std::size_t max_token_chars = 8192;
constexpr std::size_t max_sig_chars = 256;
// A multipart SMS has at most 255 parts (the one-byte UDH counter).
constexpr unsigned max_parts = 255;

struct method_info {
    std::string_view name;
    const char* hmac_digest;  // nullptr: md5hash
};
constexpr method_info signature_methods[] = {{"md5hash", nullptr},
                                             {"md5hmac", "MD5"},
                                             {"sha1hmac", "SHA1"},
                                             {"sha256hmac", "SHA256"},
                                             {"sha512hmac", "SHA512"}};

const method_info* find_method(std::string_view name) {
    for (const auto& m : signature_methods) {
        if (m.name == name) {
            return &m;
        }
    }
    return nullptr;
}

bool equal_mac(std::string_view a, std::string_view b) {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// A JSON value as the SMS API's signature sees it (the SDK signs string values).
bool json_scalar_text(simdjson::dom::element v, std::string& out) {
    switch (v.type()) {
        case simdjson::dom::element_type::STRING:
            out = std::string(v.get_string().value_unsafe());
            return valid_utf8(out);
        case simdjson::dom::element_type::INT64:
            out = std::to_string(v.get_int64().value_unsafe());
            return true;
        case simdjson::dom::element_type::UINT64:
            out = std::to_string(v.get_uint64().value_unsafe());
            return true;
        case simdjson::dom::element_type::BOOL:
            out = v.get_bool().value_unsafe() ? "true" : "false";
            return true;
        default:
            return false;
    }
}

// An unsigned decimal within [min, max].
bool read_count(const std::string* text, unsigned min, unsigned max, unsigned& out) {
    if (!text || text->empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), out);
    return ec == std::errc() && end == text->data() + text->size() && out >= min && out <= max;
}

// `message-timestamp`: `YYYY-MM-DD HH:MM:SS` in UTC (RFC 3339 is taken too).
std::optional<unix_ms> sms_time(std::string_view text) {
    if (text.size() == 19) {
        return parse_rfc3339(std::string(text) + "Z");
    }
    return parse_rfc3339(text);
}

// The token of `Authorization: Bearer <token>` (the Messages API), or empty.
std::string_view bearer_token(const request_view& req) {
    std::string_view auth = trim_ascii(req.header("Authorization"));
    if (auth.size() > 7 && iequals_ascii(auth.substr(0, 7), "Bearer ")) {
        return trim_ascii(auth.substr(7));
    }
    return {};
}

std::int64_t unix_now(std::chrono::system_clock::time_point now) {
    return std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
}

// A JWT claim that is a time: a number of Unix seconds (fractions allowed).
bool read_claim_time(simdjson::dom::element payload, const char* name, bool& present, double& out) {
    auto v = payload[name];
    present = v.error() == simdjson::SUCCESS;
    if (!present) {
        return true;
    }
    return !v.get_double().get(out);
}

}  // namespace

vonage_source::vonage_source(const source_config& cfg)
    : id_(cfg.id),
      method_(cfg.signature_method),
      secrets_(cfg.secrets),
      tolerance_(cfg.tolerance_seconds),
      multipart_timeout_(std::chrono::seconds(cfg.multipart_timeout_seconds)) {
    const method_info* method = find_method(method_);
    if (!method) {
        throw std::invalid_argument("vonage source \"" + id_ + "\": unknown signature_method \"" +
                                    method_ + "\"");
    }
    if (secrets_.empty()) {
        throw std::invalid_argument("vonage source \"" + id_ + "\" needs a signature secret");
    }
    for (const auto& secret : secrets_) {
        if (secret.empty()) {
            throw std::invalid_argument("vonage source \"" + id_ +
                                        "\": a signature secret is empty");
        }
        if (method->hmac_digest) {
            sms_keys_.push_back(std::make_unique<hmac_key>(method->hmac_digest, secret));
        }
        jwt_keys_.push_back(std::make_unique<hmac_key>("SHA256", secret));
    }
}

std::string vonage_source::signed_string(const form_fields& params) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(params.size());
    for (const auto& p : params) {
        if (p.first != "sig") {
            sorted.push_back(&p);
        }
    }
    std::sort(sorted.begin(), sorted.end(),
              [](const auto* a, const auto* b) { return a->first < b->first; });
    std::string out;
    for (const auto* p : sorted) {
        out += '&';
        out += p->first;
        out += '=';
        for (char c : p->second) {
            out += (c == '&' || c == '=') ? '_' : c;
        }
    }
    return out;
}

std::optional<form_fields> vonage_source::sms_params(const request_view& req) {
    std::optional<form_fields> params;
    if (req.method == "GET") {
        params = parse_form(req.query());
    } else if (is_json_media_type(req.header("Content-Type"))) {
        simdjson::dom::element root;
        simdjson::dom::object object;
        if (json::thread_parser().parse(req.body.data(), req.body.size()).get(root) ||
            root.get_object().get(object)) {
            return std::nullopt;
        }
        params.emplace();
        for (auto field : object) {
            std::string value;
            if (!json_scalar_text(field.value, value)) {
                return std::nullopt;
            }
            params->emplace_back(std::string(field.key), std::move(value));
        }
    } else {
        params = parse_form(req.body);
    }
    if (params) {
        std::vector<std::string_view> names;
        names.reserve(params->size());
        for (const auto& p : *params) {
            // Only values have `&` and `=` replaced in the signed string: a name holding them
            // could fold several signed parameters into one.
            if (p.first.find_first_of("&=") != std::string::npos) {
                return std::nullopt;
            }
            names.push_back(p.first);
        }
        std::sort(names.begin(), names.end());
        if (std::adjacent_find(names.begin(), names.end()) != names.end()) {
            return std::nullopt;
        }
    }
    return params;
}

std::optional<std::string> vonage_source::sign(const form_fields& params) const {
    std::string s = signed_string(params);
    auto raw =
        sms_keys_.empty() ? digest("MD5", {s, secrets_.front()}) : sms_keys_.front()->mac({s});
    if (!raw) {
        return std::nullopt;
    }
    return encode_hex(*raw);
}

boost::system::error_code vonage_source::verify(const request_view& req, std::string_view,
                                                std::chrono::system_clock::time_point now) const {
    std::string_view token = bearer_token(req);
    return token.empty() ? verify_sms(req, now) : verify_jwt(token, req.body, now);
}

boost::system::error_code vonage_source::verify_sms(
    const request_view& req, std::chrono::system_clock::time_point now) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    auto params = sms_params(req);
    if (!params) {
        // Nothing could be signed over what does not decode: a forgery or a broken request.
        return mismatch;
    }
    const std::string* sig = form_value(*params, "sig");
    const std::string* ts = form_value(*params, "timestamp");
    if (!sig || sig->empty() || !ts) {
        return verify_error::missing;
    }
    if (auto ec = check_unix_time(*ts, now, tolerance_)) {
        return ec;
    }
    auto expected = sig->size() <= max_sig_chars ? decode_hex(*sig) : std::nullopt;
    if (!expected) {
        return mismatch;
    }
    std::string s = signed_string(*params);
    if (sms_keys_.empty()) {
        for (const auto& secret : secrets_) {
            auto raw = digest("MD5", {s, secret});
            if (!raw) {
                return errc::internal;
            }
            if (equal_mac(*raw, *expected)) {
                return {};
            }
        }
        return mismatch;
    }
    for (const auto& key : sms_keys_) {
        auto raw = key->mac({s});
        if (!raw) {
            return errc::internal;
        }
        if (equal_mac(*raw, *expected)) {
            return {};
        }
    }
    return mismatch;
}

boost::system::error_code vonage_source::verify_jwt(
    std::string_view token, std::string_view body,
    std::chrono::system_clock::time_point now) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    auto dot1 = token.find('.');
    auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (token.size() > max_token_chars || dot2 == std::string_view::npos ||
        token.find('.', dot2 + 1) != std::string_view::npos) {
        return mismatch;
    }
    auto header = decode_base64(token.substr(0, dot1));
    auto payload_text = decode_base64(token.substr(dot1 + 1, dot2 - dot1 - 1));
    auto signature = decode_base64(token.substr(dot2 + 1));
    if (!header || !payload_text || !signature) {
        return mismatch;
    }
    // The algorithm is ours to choose, never the token's: HS256 only.
    simdjson::dom::element h;
    std::string_view alg;
    if (json::thread_parser().parse(*header).get(h) || h["alg"].get_string().get(alg) ||
        alg != "HS256") {
        return mismatch;
    }
    const std::string_view signing_input = token.substr(0, dot2);
    bool matched = false;
    for (const auto& key : jwt_keys_) {
        auto raw = key->mac({signing_input});
        if (!raw) {
            return errc::internal;
        }
        matched = matched || equal_mac(*raw, *signature);
    }
    if (!matched) {
        return mismatch;
    }
    // Signed: now the claims.
    simdjson::dom::element payload;
    std::string_view payload_hash;
    if (json::thread_parser().parse(*payload_text).get(payload) || !payload.is_object() ||
        payload["payload_hash"].get_string().get(payload_hash)) {
        return mismatch;
    }
    auto body_hash = digest("SHA256", {body});
    auto claimed = decode_hex(payload_hash);
    if (!body_hash) {
        return errc::internal;
    }
    if (!claimed || !equal_mac(*claimed, *body_hash)) {
        return mismatch;
    }
    bool has_iat = false, has_exp = false, has_nbf = false;
    double iat = 0, exp = 0, nbf = 0;
    if (!read_claim_time(payload, "iat", has_iat, iat) ||
        !read_claim_time(payload, "exp", has_exp, exp) ||
        !read_claim_time(payload, "nbf", has_nbf, nbf)) {
        return mismatch;
    }
    if (!has_iat) {
        return verify_error::missing;
    }
    const auto t = static_cast<double>(unix_now(now));
    const auto tol = static_cast<double>(tolerance_.count());
    if (iat < t - tol || iat > t + tol || (has_exp && t >= exp) || (has_nbf && t < nbf)) {
        return verify_error::stale;
    }
    return {};
}

bool vonage_source::accepts_content_type(std::string_view content_type) const noexcept {
    return media_type_of(content_type).empty() || is_form_media_type(content_type) ||
           is_json_media_type(content_type);
}

result<parsed_request> vonage_source::parse(const request_view& req,
                                            std::chrono::system_clock::time_point now) const {
    return bearer_token(req).empty() ? parse_sms(req, now) : parse_messages_api(req, now);
}

result<parsed_request> vonage_source::parse_sms(const request_view& req,
                                                std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    auto params = sms_params(req);
    if (!params) {
        return malformed;
    }
    const form_fields& p = *params;
    parsed_request out;
    const std::string* type = form_value(p, "type");
    const std::string* text = form_value(p, "text");
    if (!type && !text && form_value(p, "status")) {
        return out;  // a delivery receipt: acknowledged, nothing to store
    }
    const std::string* id = form_value(p, "messageId");
    const std::string* from = form_value(p, "msisdn");
    const std::string* to = form_value(p, "to");
    if (!id || !from || !to) {
        return malformed;
    }
    std::string_view body;
    if (type && *type == "binary") {
        const std::string* data = form_value(p, "data");
        body = data ? std::string_view(*data) : std::string_view();
    } else if (text) {
        body = *text;
    } else {
        return malformed;
    }
    message msg;
    msg.provider_id = *id;
    if (const std::string* ts = form_value(p, "message-timestamp")) {
        // Informational only: a format we do not know costs the sent time, not the message
        // (a 400 would not be retried).
        msg.sent_at = sms_time(*ts);
    }
    if (!finish_message(msg, id_, *from, *to, body, now)) {
        return malformed;
    }
    const std::string* concat = form_value(p, "concat");
    if (concat && *concat == "true") {
        const std::string* ref = form_value(p, "concat-ref");
        message_part part;
        if (!ref || ref->empty() ||
            !read_count(form_value(p, "concat-total"), 1, max_parts, part.total) ||
            !read_count(form_value(p, "concat-part"), 1, part.total, part.number)) {
            return malformed;
        }
        if (part.total > 1) {  // a "multipart" of one part is the whole message
            part.ref = *ref;
            part.deadline = msg.received_at + multipart_timeout_.count();
            msg.part = std::move(part);
        }
    }
    out.messages.push_back(std::move(msg));
    return out;
}

result<parsed_request> vonage_source::parse_messages_api(
    const request_view& req, std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    simdjson::dom::element root;
    if (json::thread_parser().parse(req.body.data(), req.body.size()).get(root) ||
        !root.is_object()) {
        return malformed;
    }
    parsed_request out;
    std::string_view channel = "sms";
    if (root["status"].error() == simdjson::SUCCESS ||
        (root["channel"].error() == simdjson::SUCCESS &&
         (!json::read_string(root, "/channel", channel) || channel != "sms"))) {
        return out;  // a status event, or a message on another channel: not an SMS to store
    }
    message msg;
    std::string_view from, to, text;
    if (!json::read_id(root, "/message_uuid", msg.provider_id) ||
        !json::read_string(root, "/from", from) || !json::read_string(root, "/to", to) ||
        !json::read_string(root, "/text", text) ||
        !json::read_time(root, "/timestamp", msg.sent_at) ||
        !finish_message(msg, id_, from, to, text, now)) {
        return malformed;
    }
    out.messages.push_back(std::move(msg));
    return out;
}

}  // namespace vrnum::detail
