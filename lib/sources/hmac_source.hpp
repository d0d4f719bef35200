#pragma once
/// \file
/// The generic `hmac` webhook source (SPEC §3, §4): an HMAC of the raw body (or of
/// `"<timestamp>.<body>"`) in a configured header, and a JSON body mapped to a message by JSON
/// Pointers. Also the signature decoders the provider kinds share.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/config.hpp>
#include <vrnum/error.hpp>
#include <vrnum/request_view.hpp>
#include <vrnum/source.hpp>

#include "crypto/encoding.hpp"
#include "crypto/hmac.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {

/// A source of kind `hmac`.
///
/// `verify`: the header `header` holds `prefix` (compared case-insensitively) and then the
/// digest in `encoding` (hex of either case, or base64/base64url with or without padding) of
/// HMAC-`algorithm` over the raw body, or over `"<ts>.<body>"` when `timestamp_header` is set,
/// `<ts>` being that header's value: Unix seconds within `tolerance_seconds` of `now` either
/// way. Each of `secrets` is tried (rotation); digests are compared with `CRYPTO_memcmp`.
///
/// `parse`: the body must be a JSON object; `fields` point at `id` (a string or an integer),
/// `from`, `to`, `text` (strings; required; `id` and `to` not empty) and, when configured,
/// `sent_at` (Unix seconds or milliseconds as a number, an RFC 3339 string, or null/absent).
/// Anything else — bad JSON, invalid UTF-8 (raw or escaped), a missing or mistyped field —
/// is `errc::malformed`. `from` and `to` go through `normalize_number`; `text` is kept as
/// decoded from JSON, byte for byte.
///
/// Owned by whoever built it (the gateway's route table). Immutable after construction:
/// `verify` and `parse` may run concurrently on any threads. Each thread that calls `parse`
/// keeps one simdjson parser (thread-local, sized to the largest body it has seen).
class hmac_source final : public source {
  public:
    /// Pre-keys one HMAC context per secret. Throws `std::invalid_argument` when `cfg` has no
    /// secret or an empty one, no header, an unknown algorithm or encoding, or a field that is
    /// not a JSON Pointer starting with `/` (`sent_at` may be empty: not read), and
    /// `std::runtime_error` when OpenSSL cannot provide HMAC with the digest.
    explicit hmac_source(const source_config& cfg);
    ~hmac_source() override;
    hmac_source(const hmac_source&) = delete;
    hmac_source& operator=(const hmac_source&) = delete;

    /// The configured id.
    std::string_view id() const noexcept override;
    /// Success, a `verify_error` (missing, mismatch, stale), or `errc::internal` if OpenSSL
    /// itself fails.
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    /// One message, or `errc::malformed`.
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// JSON only (`application/json`, `+json` types); an absent Content-Type is read as JSON.
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    /// `m` as a JSON body at the configured pointers, signed with the first secret
    /// (defined in demos.cpp with the other kinds' demos).
    std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const override;

  private:
    bool matches(const hmac_key& key, std::string_view ts, std::string_view body,
                 std::string_view expected, bool& failed) const;
    /// The raw HMAC over `"<ts>.<body>"` (or `body`), or nullopt if OpenSSL fails.
    std::optional<std::string> digest(const hmac_key& key, std::string_view ts,
                                      std::string_view body) const;

    std::string id_;
    std::string header_;
    std::string prefix_;
    std::string timestamp_header_;
    bool base64_ = false;
    std::size_t digest_size_ = 0;
    std::chrono::seconds tolerance_;
    field_pointers fields_;
    std::vector<std::unique_ptr<hmac_key>> keys_;
};

}  // namespace vrnum::detail
