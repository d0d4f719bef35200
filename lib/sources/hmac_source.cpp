#include "sources/hmac_source.hpp"

#include <cstdint>
#include <stdexcept>
#include <system_error>
#include <utility>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <simdjson.h>

#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"
#include "sources/source_util.hpp"
#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

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

// A longer header cannot hold a digest of ours; refusing it early bounds the work.
constexpr std::size_t max_signature_chars = 512;

}  // namespace

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
    check_field_pointers(id_, fields_);
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
    std::string_view sig = trim_ascii(req.header(header_));
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
        ts = trim_ascii(req.header(timestamp_header_));
        if (ts.empty()) {
            return verify_error::missing;
        }
        if (auto ec = check_unix_time(ts, now, tolerance_)) {
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
    return json::parse_message(req.body, fields_, id_, {}, now);
}

}  // namespace vrnum::detail
