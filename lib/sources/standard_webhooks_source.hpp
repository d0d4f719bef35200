#pragma once
/// \file
/// The `standard-webhooks` source (SPEC §4; the Standard Webhooks specification, as Svix
/// sends it): `webhook-signature` holds space-separated `v1,<base64>` (HMAC-SHA256, key the
/// base64 after `whsec_`) and `v1a,<base64>` (Ed25519, `whpk_` public key) entries over
/// `"<webhook-id>.<webhook-timestamp>.<body>"`; unknown versions are ignored; `svix-*` header
/// names are accepted too. `webhook-id` is the message's idempotency key.

#include <memory>
#include <string>
#include <vector>

#include <vrnum/source.hpp>

#include "crypto/digest.hpp"
#include "crypto/hmac.hpp"

namespace vrnum::detail {

/// A source of kind `standard-webhooks`. `verify` needs the three headers (`webhook-*` or
/// `svix-*`), a timestamp within `tolerance_seconds` either way, and one entry of the list
/// matching one of the configured secrets or public keys. `parse` reads `from`, `to`, `text`
/// (and `sent_at`) at the configured JSON Pointers; the provider id is `webhook-id`.
class standard_webhooks_source final : public source {
  public:
    /// Throws `std::invalid_argument` for a secret that is not `whsec_` + base64, a public key
    /// that is not `whpk_` + the base64 of 32 bytes, none of either, or a bad field pointer.
    explicit standard_webhooks_source(const source_config& cfg);
    ~standard_webhooks_source() override;

    std::string_view id() const noexcept override { return id_; }
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// JSON; an absent Content-Type is read as JSON.
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    /// Signed `v1` with the first secret; nullopt when only public keys are configured.
    std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const override;
    /// A webhook signed `v1a` with `ed25519_private_pem`.
    std::optional<outgoing_request> demo_request_signed(
        const message& m, std::string_view base_url, std::chrono::system_clock::time_point now,
        std::string_view ed25519_private_pem) const override;

  private:
    std::string id_;
    std::chrono::seconds tolerance_;
    field_pointers fields_;
    std::vector<std::unique_ptr<hmac_key>> secrets_;
    std::vector<std::unique_ptr<ed25519_key>> public_keys_;
};

}  // namespace vrnum::detail
