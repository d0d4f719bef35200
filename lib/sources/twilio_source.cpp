#include "sources/twilio_source.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <openssl/crypto.h>

#include "crypto/digest.hpp"
#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {
namespace {

constexpr std::string_view twiml_empty =
    R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)";
// A SHA-1 in base64 has 28 characters; anything much longer is not one of ours.
constexpr std::size_t max_signature_chars = 128;

// `bodySHA256` from the query, or empty.
std::string body_hash_param(const request_view& req) {
    auto query = parse_form(req.query());
    if (!query) {
        return {};
    }
    const std::string* v = form_value(*query, "bodySHA256");
    return v ? *v : std::string();
}

}  // namespace

twilio_source::twilio_source(const source_config& cfg) : id_(cfg.id) {
    if (cfg.secrets.empty()) {
        throw std::invalid_argument("twilio source \"" + id_ + "\" needs an auth token");
    }
    for (const auto& token : cfg.secrets) {
        if (token.empty()) {
            throw std::invalid_argument("twilio source \"" + id_ + "\": an auth token is empty");
        }
        keys_.push_back(std::make_unique<hmac_key>("SHA1", token));
    }
}

std::string twilio_source::signed_params(
    const std::vector<std::pair<std::string, std::string>>& form) {
    std::vector<const std::pair<std::string, std::string>*> sorted;
    sorted.reserve(form.size());
    for (const auto& f : form) {
        sorted.push_back(&f);
    }
    // By name, then value: a repeated name then lists its values in order; duplicates of a
    // name and value count once.
    std::sort(sorted.begin(), sorted.end(), [](const auto* a, const auto* b) { return *a < *b; });
    sorted.erase(std::unique(sorted.begin(), sorted.end(),
                             [](const auto* a, const auto* b) { return *a == *b; }),
                 sorted.end());
    std::string out;
    for (const auto* f : sorted) {
        out += f->first;
        out += f->second;
    }
    return out;
}

std::optional<std::string> twilio_source::other_port_form(std::string_view url) {
    auto parsed = boost::urls::parse_absolute_uri(boost::core::string_view(url.data(), url.size()));
    if (!parsed) {
        return std::nullopt;
    }
    boost::urls::url u(*parsed);
    std::string_view default_port = u.scheme_id() == boost::urls::scheme::https  ? "443"
                                    : u.scheme_id() == boost::urls::scheme::http ? "80"
                                                                                 : "";
    if (default_port.empty()) {
        return std::nullopt;
    }
    if (!u.has_port()) {
        u.set_port(default_port);
    } else if (u.port() == default_port) {
        u.remove_port();
    } else {
        return std::nullopt;  // another port: only the URL as it is can match
    }
    return std::string(u.buffer());
}

bool twilio_source::matches(std::string_view url, std::string_view params,
                            std::string_view expected, bool& failed) const {
    for (const auto& key : keys_) {
        auto mac = key->mac({url, params});
        if (!mac) {
            failed = true;
            continue;
        }
        if (mac->size() == expected.size() &&
            CRYPTO_memcmp(mac->data(), expected.data(), mac->size()) == 0) {
            return true;
        }
    }
    return false;
}

boost::system::error_code twilio_source::verify(const request_view& req, std::string_view base_url,
                                                std::chrono::system_clock::time_point) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    std::string_view sig = trim_ascii(req.header("X-Twilio-Signature"));
    if (sig.empty()) {
        return verify_error::missing;
    }
    if (sig.size() > max_signature_chars) {
        return mismatch;
    }
    auto expected = decode_base64(sig);
    if (!expected || expected->size() != 20) {
        return mismatch;
    }
    std::string params;
    if (std::string hash = body_hash_param(req); !hash.empty()) {
        // The JSON variant: the URL alone is signed, the body by its hash in the URL.
        auto body_hash = digest("SHA256", {req.body});
        auto claimed = decode_hex(hash);
        if (!body_hash) {
            return make_error_code(errc::internal);
        }
        if (!claimed || claimed->size() != body_hash->size() ||
            CRYPTO_memcmp(claimed->data(), body_hash->data(), body_hash->size()) != 0) {
            return mismatch;
        }
    } else {
        auto form = parse_form(req.body);
        if (!form) {
            return mismatch;
        }
        params = signed_params(*form);
    }
    const std::string url = join_url(base_url, req.target);
    bool failed = false;
    if (matches(url, params, *expected, failed)) {
        return {};
    }
    if (auto other = other_port_form(url); other && matches(*other, params, *expected, failed)) {
        return {};
    }
    return failed ? make_error_code(errc::internal) : mismatch;
}

bool twilio_source::accepts_content_type(std::string_view content_type) const noexcept {
    return media_type_of(content_type).empty() || is_form_media_type(content_type) ||
           is_json_media_type(content_type);
}

result<parsed_request> twilio_source::parse(const request_view& req,
                                            std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    message msg;
    std::string_view from, to, text;
    std::optional<form_fields> form;
    simdjson::dom::element root;
    if (is_json_media_type(req.header("Content-Type"))) {
        if (json::thread_parser().parse(req.body.data(), req.body.size()).get(root) ||
            !root.is_object()) {
            return malformed;
        }
        std::string_view sid;
        if (!(json::read_string(root, "/MessageSid", sid) ||
              json::read_string(root, "/SmsMessageSid", sid) ||
              json::read_string(root, "/SmsSid", sid)) ||
            !json::read_string(root, "/From", from) || !json::read_string(root, "/To", to) ||
            !json::read_string(root, "/Body", text)) {
            return malformed;
        }
        msg.provider_id.assign(sid);
    } else {
        form = parse_form(req.body);
        if (!form) {
            return malformed;
        }
        const std::string* sid = form_value(*form, "MessageSid");
        sid = sid ? sid : form_value(*form, "SmsMessageSid");
        sid = sid ? sid : form_value(*form, "SmsSid");
        const std::string* f = form_value(*form, "From");
        const std::string* t = form_value(*form, "To");
        const std::string* b = form_value(*form, "Body");
        if (!sid || !f || !t || !b) {
            return malformed;
        }
        msg.provider_id = *sid;
        from = *f;
        to = *t;
        text = *b;
    }
    if (!finish_message(msg, id_, from, to, text, now)) {
        return malformed;
    }
    parsed_request out;
    out.messages.push_back(std::move(msg));
    return out;
}

success_answer twilio_source::accepted_answer() const {
    return {"text/xml", std::string(twiml_empty)};
}

}  // namespace vrnum::detail
