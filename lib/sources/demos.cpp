// Signed demo requests of every source kind (`vrnumd simulate`, tests): the inverse of each
// source's verify and parse, written as that provider would post them.

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <vrnum/time.hpp>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"
#include "sources/hmac_source.hpp"
#include "sources/plivo_source.hpp"
#include "sources/source_util.hpp"
#include "sources/standard_webhooks_source.hpp"
#include "sources/telnyx_source.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"

namespace vrnum::detail {
namespace {

// Sets `value` at a JSON Pointer, creating objects on the way (`~1` is `/`, `~0` is `~`).
void set_at(boost::json::object& root, std::string_view pointer, std::string_view value) {
    boost::json::object* at = &root;
    std::string_view rest = pointer.substr(1);
    for (;;) {
        auto slash = rest.find('/');
        std::string key(rest.substr(0, slash));
        for (std::size_t p = 0; (p = key.find('~', p)) != std::string::npos; ++p) {
            key.replace(p, 2, key.compare(p, 2, "~1") == 0 ? "/" : "~");
        }
        if (slash == std::string_view::npos) {
            (*at)[key] = value;
            return;
        }
        auto& next = (*at)[key];
        if (!next.is_object()) {
            next = boost::json::object{};
        }
        at = &next.as_object();
        rest.remove_prefix(slash + 1);
    }
}

// `m` as a JSON object at the pointers of `fields`.
std::string json_body(const field_pointers& fields, const message& m, bool with_id) {
    boost::json::object body;
    if (with_id) {
        set_at(body, fields.id, m.provider_id);
    }
    set_at(body, fields.from, m.from);
    set_at(body, fields.to, m.to);
    set_at(body, fields.text, m.text);
    return boost::json::serialize(body);
}

std::string unix_seconds(std::chrono::system_clock::time_point now) {
    return std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
}

// Signs `data` with `pem`, checking that one of `keys` (the source's) verifies it.
std::string ed25519_sign(std::string_view pem, std::string_view data,
                         const std::vector<std::unique_ptr<ed25519_key>>& keys) {
    ed25519_private_key key(pem);
    auto sig = key.sign(data);
    if (!sig) {
        throw std::runtime_error("OpenSSL could not sign with the Ed25519 key");
    }
    for (const auto& k : keys) {
        if (k->verify(data, *sig)) {
            return *sig;
        }
    }
    throw std::invalid_argument(
        "the signing key's public half is none of the source's public keys");
}

}  // namespace

std::optional<outgoing_request> hmac_source::demo_request(
    const message& m, std::string_view, std::chrono::system_clock::time_point now) const {
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = json_body(fields_, m, true);
    std::string ts = unix_seconds(now);
    auto raw = digest(*keys_.front(), ts, r.body);
    if (!raw) {
        return std::nullopt;
    }
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back(header_, prefix_ + (base64_ ? encode_base64(*raw) : encode_hex(*raw)));
    if (!timestamp_header_.empty()) {
        r.headers.emplace_back(timestamp_header_, ts);
    }
    return r;
}

std::optional<outgoing_request> twilio_source::demo_request(
    const message& m, std::string_view base_url, std::chrono::system_clock::time_point) const {
    form_fields form{{"ToCountry", "EE"},
                     {"SmsMessageSid", m.provider_id},
                     {"NumMedia", "0"},
                     {"SmsSid", m.provider_id},
                     {"SmsStatus", "received"},
                     {"Body", m.text},
                     {"To", m.to},
                     {"NumSegments", "1"},
                     {"MessageSid", m.provider_id},
                     {"AccountSid", "AC00000000000000000000000000000000"},
                     {"From", m.from},
                     {"ApiVersion", "2010-04-01"}};
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = encode_form(form);
    auto mac = keys_.front()->mac({join_url(base_url, r.target), signed_params(form)});
    if (!mac) {
        return std::nullopt;
    }
    r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    r.headers.emplace_back("X-Twilio-Signature", encode_base64(*mac));
    return r;
}

std::optional<outgoing_request> standard_webhooks_source::demo_request(
    const message& m, std::string_view, std::chrono::system_clock::time_point now) const {
    if (secrets_.empty()) {
        return std::nullopt;  // v1a needs the sender's private key
    }
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = json_body(fields_, m, false);
    std::string ts = unix_seconds(now);
    std::string msg_id = "msg_" + m.provider_id;
    auto mac = secrets_.front()->mac({msg_id, ".", ts, ".", r.body});
    if (!mac) {
        return std::nullopt;
    }
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("webhook-id", msg_id);
    r.headers.emplace_back("webhook-timestamp", ts);
    r.headers.emplace_back("webhook-signature", "v1," + encode_base64(*mac));
    return r;
}

std::optional<outgoing_request> plivo_source::demo_request(
    const message& m, std::string_view base_url, std::chrono::system_clock::time_point now) const {
    auto digits = [](const std::string& number) {
        return number.starts_with('+') ? number.substr(1) : number;  // as Plivo writes them
    };
    form_fields form{
        {"From", digits(m.from)}, {"To", digits(m.to)},           {"Type", "sms"},
        {"Text", m.text},         {"MessageUUID", m.provider_id}, {"Units", "1"},
        {"TotalRate", "0"},       {"TotalAmount", "0"},           {"MessageIntent", "optin"}};
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = encode_form(form);
    // Unique per request, as Plivo's are.
    std::string nonce =
        std::to_string(
            std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count()) +
        m.provider_id;
    auto s = v3_string(join_url(base_url, r.target), form);
    auto mac = s ? keys_.front()->mac({*s, ".", nonce}) : std::nullopt;
    if (!mac) {
        return std::nullopt;
    }
    r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    r.headers.emplace_back("X-Plivo-Signature-V3", encode_base64(*mac));
    r.headers.emplace_back("X-Plivo-Signature-V3-Nonce", nonce);
    return r;
}

std::optional<outgoing_request> vonage_source::demo_request(
    const message& m, std::string_view, std::chrono::system_clock::time_point now) const {
    auto digits = [](const std::string& number) {
        return number.starts_with('+') ? number.substr(1) : number;  // as Vonage writes them
    };
    bool ascii = std::all_of(m.text.begin(), m.text.end(),
                             [](char c) { return static_cast<unsigned char>(c) < 0x80; });
    // `message-timestamp` is UTC as `YYYY-MM-DD HH:MM:SS`.
    std::string sent =
        format_rfc3339(
            std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count())
            .substr(0, 19);
    sent[10] = ' ';
    form_fields form{{"msisdn", digits(m.from)},
                     {"to", digits(m.to)},
                     {"messageId", m.provider_id},
                     {"text", m.text},
                     {"type", ascii ? "text" : "unicode"},
                     {"keyword", m.text.substr(0, m.text.find(' '))},
                     {"api-key", "abcd1234"},
                     {"message-timestamp", sent},
                     {"timestamp", unix_seconds(now)},
                     {"nonce", m.provider_id + "-" + unix_seconds(now)}};
    auto sig = sign(form);
    if (!sig) {
        return std::nullopt;
    }
    form.emplace_back("sig", *sig);
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = encode_form(form);
    r.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
    return r;
}

std::optional<outgoing_request> telnyx_source::demo_request_signed(
    const message& m, std::string_view, std::chrono::system_clock::time_point now,
    std::string_view ed25519_private_pem) const {
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    boost::json::object payload{
        {"id", m.provider_id},
        {"record_type", "message"},
        {"direction", "inbound"},
        {"type", "SMS"},
        {"text", m.text},
        {"from", {{"phone_number", m.from}, {"carrier", "Demo"}, {"line_type", "Wireless"}}},
        {"to", boost::json::array{{{"phone_number", m.to}, {"status", "webhook-delivered"}}}},
        {"received_at", format_rfc3339(ms)}};
    boost::json::object body{{"data",
                              {{"event_type", "message.received"},
                               {"id", "evt-" + m.provider_id},
                               {"occurred_at", format_rfc3339(ms)},
                               {"payload", payload},
                               {"record_type", "event"}}},
                             {"meta", {{"attempt", 1}, {"delivered_to", "/webhooks/" + id_}}}};
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = boost::json::serialize(body);
    std::string ts = unix_seconds(now);
    std::string sig = ed25519_sign(ed25519_private_pem, ts + "|" + r.body, keys_);
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("telnyx-timestamp", ts);
    r.headers.emplace_back("telnyx-signature-ed25519", encode_base64(sig));
    return r;
}

std::optional<outgoing_request> standard_webhooks_source::demo_request_signed(
    const message& m, std::string_view, std::chrono::system_clock::time_point now,
    std::string_view ed25519_private_pem) const {
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = json_body(fields_, m, false);
    std::string ts = unix_seconds(now);
    std::string msg_id = "msg_" + m.provider_id;
    std::string sig =
        ed25519_sign(ed25519_private_pem, msg_id + "." + ts + "." + r.body, public_keys_);
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back("webhook-id", msg_id);
    r.headers.emplace_back("webhook-timestamp", ts);
    r.headers.emplace_back("webhook-signature", "v1a," + encode_base64(sig));
    return r;
}

}  // namespace vrnum::detail
