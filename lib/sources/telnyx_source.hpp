#pragma once
/// \file
/// The `telnyx` webhook source (SPEC §4; Telnyx API v2 webhooks): Ed25519 over
/// `"<telnyx-timestamp>|<raw body>"`, the signature base64 in `telnyx-signature-ed25519`,
/// verified with the account's public key (base64 of the raw 32 bytes).

#include <memory>
#include <string>
#include <vector>

#include <vrnum/source.hpp>

#include "crypto/digest.hpp"

namespace vrnum::detail {

/// A source of kind `telnyx`. `verify`: both headers, the timestamp within
/// `tolerance_seconds` either way, and a signature that one of the configured keys accepts.
/// `parse`: a `message.received` event gives one message (`data.payload.id`, `.text`,
/// `.from.phone_number`, `.to[0].phone_number`; `data.occurred_at` as the sent time); any
/// other event type gives none (answered 200, nothing stored).
class telnyx_source final : public source {
  public:
    /// Throws `std::invalid_argument` for a key that is not the base64 of 32 bytes, or none.
    explicit telnyx_source(const source_config& cfg);
    ~telnyx_source() override;

    std::string_view id() const noexcept override { return id_; }
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// JSON; an absent Content-Type is read as JSON.
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    /// A `message.received` event signed with `ed25519_private_pem`.
    std::optional<outgoing_request> demo_request_signed(
        const message& m, std::string_view base_url, std::chrono::system_clock::time_point now,
        std::string_view ed25519_private_pem) const override;

  private:
    std::string id_;
    std::chrono::seconds tolerance_;
    std::vector<std::unique_ptr<ed25519_key>> keys_;
};

}  // namespace vrnum::detail
