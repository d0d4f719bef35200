#include "sources/standard_webhooks_source.hpp"

#include <stdexcept>

#include <openssl/crypto.h>

#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {
namespace {

// Bounds the work a hostile header can cause: a rotation lists a handful of signatures.
constexpr std::size_t max_signature_header = 4096;
constexpr std::size_t max_entries = 16;
constexpr std::size_t max_id_chars = 256;

// The header under its `webhook-` name, else its `svix-` name.
std::string_view either_header(const request_view& req, std::string_view name) {
    std::string_view v = trim_ascii(req.header("webhook-" + std::string(name)));
    return v.empty() ? trim_ascii(req.header("svix-" + std::string(name))) : v;
}

std::string decoded_key(std::string_view value, std::string_view prefix, const std::string& id) {
    auto raw =
        value.starts_with(prefix) ? decode_base64(value.substr(prefix.size())) : std::nullopt;
    if (!raw || raw->empty()) {
        throw std::invalid_argument("standard-webhooks source \"" + id + "\": a key is not " +
                                    std::string(prefix) + " followed by base64");
    }
    return *raw;
}

}  // namespace

standard_webhooks_source::standard_webhooks_source(const source_config& cfg)
    : id_(cfg.id), tolerance_(cfg.tolerance_seconds), fields_(cfg.fields) {
    for (const auto& s : cfg.secrets) {
        secrets_.push_back(std::make_unique<hmac_key>("SHA256", decoded_key(s, "whsec_", id_)));
    }
    for (const auto& k : cfg.public_keys) {
        std::string raw = decoded_key(k, "whpk_", id_);
        if (raw.size() != 32) {
            throw std::invalid_argument("standard-webhooks source \"" + id_ +
                                        "\": a whpk_ key must hold 32 bytes");
        }
        public_keys_.push_back(std::make_unique<ed25519_key>(raw));
    }
    if (secrets_.empty() && public_keys_.empty()) {
        throw std::invalid_argument("standard-webhooks source \"" + id_ +
                                    "\" needs a secret or a public key");
    }
    check_field_pointers(id_, fields_);
}

standard_webhooks_source::~standard_webhooks_source() = default;

boost::system::error_code standard_webhooks_source::verify(
    const request_view& req, std::string_view, std::chrono::system_clock::time_point now) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    std::string_view msg_id = either_header(req, "id");
    std::string_view ts = either_header(req, "timestamp");
    std::string_view list = either_header(req, "signature");
    if (msg_id.empty() || ts.empty() || list.empty()) {
        return verify_error::missing;
    }
    if (msg_id.size() > max_id_chars || list.size() > max_signature_header) {
        return mismatch;
    }
    if (auto ec = check_unix_time(ts, now, tolerance_)) {
        return ec;
    }
    std::string signed_content;
    signed_content.reserve(msg_id.size() + ts.size() + req.body.size() + 2);
    signed_content.append(msg_id).append(".").append(ts).append(".").append(req.body);
    std::vector<std::string> macs;
    bool failed = false;
    std::size_t entries = 0;
    while (!list.empty() && entries < max_entries) {
        auto space = list.find(' ');
        std::string_view entry = list.substr(0, space);
        list = space == std::string_view::npos ? std::string_view{} : list.substr(space + 1);
        if (entry.empty()) {
            continue;
        }
        ++entries;
        auto comma = entry.find(',');
        if (comma == std::string_view::npos) {
            continue;
        }
        std::string_view version = entry.substr(0, comma);
        auto sig = decode_base64(entry.substr(comma + 1));
        if (!sig) {
            continue;
        }
        if (version == "v1") {
            if (macs.empty()) {
                for (const auto& key : secrets_) {
                    auto m = key->mac({signed_content});
                    failed = failed || !m;
                    macs.push_back(m.value_or(std::string()));
                }
            }
            for (const auto& m : macs) {
                if (!m.empty() && m.size() == sig->size() &&
                    CRYPTO_memcmp(m.data(), sig->data(), m.size()) == 0) {
                    return {};
                }
            }
        } else if (version == "v1a") {
            for (const auto& key : public_keys_) {
                if (key->verify(signed_content, *sig)) {
                    return {};
                }
            }
        }
        // Any other version is someone else's scheme: ignored.
    }
    return failed ? make_error_code(errc::internal) : mismatch;
}

bool standard_webhooks_source::accepts_content_type(std::string_view content_type) const noexcept {
    return media_type_of(content_type).empty() || is_json_media_type(content_type);
}

result<parsed_request> standard_webhooks_source::parse(
    const request_view& req, std::chrono::system_clock::time_point now) const {
    // Without an id there is no idempotency key (verify has refused such a request already).
    std::string_view msg_id = either_header(req, "id");
    if (msg_id.empty()) {
        return make_error_code(errc::malformed);
    }
    return json::parse_message(req.body, fields_, id_, msg_id, now);
}

}  // namespace vrnum::detail
