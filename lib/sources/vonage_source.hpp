#pragma once
/// \file
/// The `vonage` webhook source (SPEC §4): inbound SMS from Vonage's SMS API (a GET query, a
/// form or a JSON body, signed with the `sig` parameter) and from its Messages API (JSON,
/// signed with an HS256 JWT in `Authorization: Bearer`), multipart SMS by `concat-ref`.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <vrnum/source.hpp>

#include "crypto/hmac.hpp"
#include "sources/source_util.hpp"

namespace vrnum::detail {

/// A source of kind `vonage`.
///
/// `verify`, when the request has `Authorization: Bearer <JWT>` (the Messages API): the JWT's
/// header says `alg` `HS256` (anything else, `none` included, is refused); its signature is
/// HMAC-SHA256(signature secret, `header.payload`); its `payload_hash` claim is the hex SHA-256
/// of the raw body; its `iat` is within `tolerance_seconds` of now; `exp` and `nbf`, when
/// present, hold.
///
/// Otherwise (the SMS API) the parameters come from the query of a GET, or the form or JSON
/// object (string, integer and boolean values) of a POST. `sig` is the hex of md5(S + secret)
/// or of HMAC-MD5/SHA1/SHA256/SHA512(secret, S) as `signature_method` says, S being every
/// other parameter sorted by name as `&name=value` with `&` and `=` in values replaced by `_`
/// (@vonage/sms's `verifySignature`), compared case-insensitively; `timestamp` (Unix seconds)
/// is within the tolerance. A name given twice, or holding `&` or `=`, is refused: the SDK
/// could not have signed it unambiguously.
///
/// `parse`: SMS API `messageId`, `msisdn` (from), `to`, `text` (`type` `text` or `unicode`;
/// for `binary` the hex `data` is kept as the text), `message-timestamp` (UTC, `YYYY-MM-DD
/// HH:MM:SS`; left out when unreadable) as the sent time; `concat=true` makes the message a part
/// (`concat-ref`, `concat-total`, `concat-part`) that the store joins. A delivery receipt
/// (`status`, no `text` or `type`) is acknowledged and not stored. Messages API: `message_uuid`,
/// `from`, `to`, `text`, `timestamp` of an inbound SMS (`channel` `sms`); status events and other
/// channels are acknowledged and not stored.
class vonage_source final : public source {
  public:
    /// Throws `std::invalid_argument` when `cfg` has no signature secret, an empty one, or an
    /// unknown `signature_method`.
    explicit vonage_source(const source_config& cfg);

    std::string_view id() const noexcept override { return id_; }
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// POST, and GET for the SMS API.
    std::vector<std::string> methods() const override { return {"POST", "GET"}; }
    /// Form-encoded or JSON; an absent Content-Type is read as a form (a GET has no body).
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const override;

    /// The string the SMS API's `sig` covers: every parameter but `sig`, sorted by name, as
    /// `&name=value`, `&` and `=` in values replaced by `_`.
    static std::string signed_string(const form_fields& params);
    /// The SMS API's parameters of `req`: the query of a GET, else the form or JSON body;
    /// nullopt when they do not decode, a JSON value is neither a string, an integer nor a
    /// boolean, or a name comes twice.
    static std::optional<form_fields> sms_params(const request_view& req);

  private:
    /// The hex `sig` of `params` under the first secret (for the demo and tests).
    std::optional<std::string> sign(const form_fields& params) const;
    boost::system::error_code verify_sms(const request_view& req,
                                         std::chrono::system_clock::time_point now) const;
    boost::system::error_code verify_jwt(std::string_view token, std::string_view body,
                                         std::chrono::system_clock::time_point now) const;
    result<parsed_request> parse_sms(const request_view& req,
                                     std::chrono::system_clock::time_point now) const;
    result<parsed_request> parse_messages_api(const request_view& req,
                                              std::chrono::system_clock::time_point now) const;

    std::string id_;
    std::string method_;  // signature_method
    std::vector<std::string> secrets_;
    std::vector<std::unique_ptr<hmac_key>> sms_keys_;  // empty for md5hash
    std::vector<std::unique_ptr<hmac_key>> jwt_keys_;  // HMAC-SHA256
    std::chrono::seconds tolerance_;
    std::chrono::milliseconds multipart_timeout_;
};

}  // namespace vrnum::detail
