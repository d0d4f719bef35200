#pragma once
/// \file
/// The `plivo` webhook source (SPEC §4): `X-Plivo-Signature-V3` (HMAC-SHA256 over the URL with
/// its query sorted, the POST parameters sorted and the nonce) or, from senders that only
/// have it, `X-Plivo-Signature-V2` (HMAC-SHA256 over the URL without its query and the nonce).
/// A nonce, once accepted, is refused for the tolerance window.

#include <chrono>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <vrnum/source.hpp>

#include "crypto/hmac.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {

/// Nonces accepted within a window, bounded in number (the oldest are forgotten first when
/// full); thread-safe.
class nonce_cache {
  public:
    using time_point = std::chrono::system_clock::time_point;
    nonce_cache(std::chrono::seconds window, std::size_t capacity)
        : window_(window), capacity_(capacity) {}
    /// True when `nonce` was remembered less than a window before `now`.
    bool seen(std::string_view nonce, time_point now);
    /// Remembers `nonce` for a window from `now`.
    void remember(std::string_view nonce, time_point now);

  private:
    void expire(time_point now);

    std::chrono::seconds window_;
    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_map<std::string, time_point> until_;
    std::deque<std::pair<std::string, time_point>> order_;
};

/// A source of kind `plivo`.
///
/// `verify`: the URL is `base_url` + the request target. When `X-Plivo-Signature-V3` is
/// present it alone decides (with `X-Plivo-Signature-V3-Nonce`): base64 HMAC-SHA256(auth token,
/// S + "." + nonce), S being the URL without its query, then `?` and the query's fields
/// decoded and sorted as `k=v` joined by `&`, then (when the form has fields) `.` after a
/// non-empty query and every form field sorted as `kv` (Plivo's `validateV3Signature`). Else
/// `X-Plivo-Signature-V2` with its nonce: base64 HMAC-SHA256(auth token, URL without query +
/// nonce) — which does not cover the body, so the nonce cache is what stops its reuse. Each
/// header may list several signatures separated by commas; each auth token is tried.
///
/// `parse`: `MessageUUID`, `From`, `To`, `Text` from the form (`Text` may be empty).
class plivo_source final : public source {
  public:
    /// Throws `std::invalid_argument` when `cfg` has no auth token or an empty one.
    explicit plivo_source(const source_config& cfg);

    std::string_view id() const noexcept override { return id_; }
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// Form-encoded; an absent Content-Type is read as a form.
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    /// Remembers the nonce the request was verified with.
    void accepted(const request_view& req,
                  std::chrono::system_clock::time_point now) const override;
    std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const override;

    /// The string V3 signs before `"." + nonce`, for the URL `url` and the POST form `form`;
    /// nullopt when the URL's query does not decode.
    static std::optional<std::string> v3_string(std::string_view url, const form_fields& form);

  private:
    bool any_matches(std::string_view data, std::string_view list, bool& failed) const;

    std::string id_;
    std::vector<std::unique_ptr<hmac_key>> keys_;
    mutable nonce_cache nonces_;
};

}  // namespace vrnum::detail
