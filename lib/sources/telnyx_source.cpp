#include "sources/telnyx_source.hpp"

#include <stdexcept>

#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {
namespace {

// The base64 of a 64-byte signature has 88 characters.
constexpr std::size_t max_signature_chars = 128;

}  // namespace

telnyx_source::telnyx_source(const source_config& cfg)
    : id_(cfg.id), tolerance_(cfg.tolerance_seconds) {
    for (const auto& k : cfg.public_keys) {
        auto raw = decode_base64(k);
        if (!raw || raw->size() != 32) {
            throw std::invalid_argument("telnyx source \"" + id_ +
                                        "\": a public key is not the base64 of 32 bytes");
        }
        keys_.push_back(std::make_unique<ed25519_key>(*raw));
    }
    if (keys_.empty()) {
        throw std::invalid_argument("telnyx source \"" + id_ + "\" needs a public key");
    }
}

telnyx_source::~telnyx_source() = default;

boost::system::error_code telnyx_source::verify(const request_view& req, std::string_view,
                                                std::chrono::system_clock::time_point now) const {
    std::string_view sig = trim_ascii(req.header("telnyx-signature-ed25519"));
    std::string_view ts = trim_ascii(req.header("telnyx-timestamp"));
    if (sig.empty() || ts.empty()) {
        return verify_error::missing;
    }
    if (auto ec = check_unix_time(ts, now, tolerance_)) {
        return ec;
    }
    auto raw = sig.size() <= max_signature_chars ? decode_base64(sig) : std::nullopt;
    if (!raw || raw->size() != 64) {
        return verify_error::mismatch;
    }
    std::string signed_content;
    signed_content.reserve(ts.size() + 1 + req.body.size());
    signed_content.append(ts).append("|").append(req.body);
    for (const auto& key : keys_) {
        if (key->verify(signed_content, *raw)) {
            return {};
        }
    }
    return verify_error::mismatch;
}

bool telnyx_source::accepts_content_type(std::string_view content_type) const noexcept {
    return media_type_of(content_type).empty() || is_json_media_type(content_type);
}

result<parsed_request> telnyx_source::parse(const request_view& req,
                                            std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    simdjson::dom::element root;
    if (json::thread_parser().parse(req.body.data(), req.body.size()).get(root) ||
        !root.is_object()) {
        return malformed;
    }
    std::string_view event_type;
    if (!json::read_string(root, "/data/event_type", event_type)) {
        return malformed;
    }
    parsed_request out;
    if (event_type != "message.received") {
        return out;  // delivery reports and the like: acknowledged, nothing to store
    }
    message msg;
    std::string_view from, to, text;
    if (!json::read_id(root, "/data/payload/id", msg.provider_id) ||
        !json::read_string(root, "/data/payload/from/phone_number", from) ||
        !json::read_string(root, "/data/payload/to/0/phone_number", to) ||
        !json::read_string(root, "/data/payload/text", text) ||
        !json::read_time(root, "/data/occurred_at", msg.sent_at) ||
        !finish_message(msg, id_, from, to, text, now)) {
        return malformed;
    }
    out.messages.push_back(std::move(msg));
    return out;
}

}  // namespace vrnum::detail
