#pragma once
/// \file
/// The `twilio` webhook source (SPEC §4): `X-Twilio-Signature` = base64 HMAC-SHA1(auth token,
/// URL + every POST parameter's name and value, sorted by name), or for a JSON body the URL
/// alone, its `bodySHA256` query parameter being the hex SHA-256 of the body.

#include <memory>
#include <string>
#include <vector>

#include <vrnum/source.hpp>

#include "crypto/hmac.hpp"

namespace vrnum::detail {

/// A source of kind `twilio`.
///
/// `verify`: the URL is `base_url` (trailing `/` dropped) + the request target as received;
/// as Twilio's own libraries do, it is tried as it is and with the scheme's default port added
/// (when it has none) or removed (when it has it). Form parameters are decoded; names sorted
/// by byte value; a name given several times contributes each distinct value, sorted, as
/// name + value (Twilio's `toFormUrlEncodedParam`). Each auth token is tried (rotation); the
/// comparison is constant-time over the decoded HMAC.
///
/// `parse`: `MessageSid` (or `SmsMessageSid`/`SmsSid`), `From`, `To` and `Body` from the form
/// or, for the JSON variant, the top-level JSON object; `Body` may be empty.
class twilio_source final : public source {
  public:
    /// Throws `std::invalid_argument` when `cfg` has no auth token or an empty one.
    explicit twilio_source(const source_config& cfg);

    std::string_view id() const noexcept override { return id_; }
    boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                     std::chrono::system_clock::time_point now) const override;
    result<parsed_request> parse(const request_view& req,
                                 std::chrono::system_clock::time_point now) const override;
    /// Form-encoded, or JSON; an absent Content-Type is read as a form.
    bool accepts_content_type(std::string_view content_type) const noexcept override;
    /// TwiML: an empty `<Response>`, `text/xml`.
    success_answer accepted_answer() const override;
    std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const override;

    /// The string Twilio signs for a form post: the URL, then the parameters as described
    /// above (exposed for tests and the demo).
    static std::string signed_params(const std::vector<std::pair<std::string, std::string>>& form);
    /// `url` with the scheme's default port removed when present, added when absent; nullopt
    /// for a URL that Boost.URL cannot parse or whose scheme is neither http nor https.
    static std::optional<std::string> other_port_form(std::string_view url);

  private:
    bool matches(std::string_view url, std::string_view params, std::string_view expected,
                 bool& failed) const;

    std::string id_;
    std::vector<std::unique_ptr<hmac_key>> keys_;
};

}  // namespace vrnum::detail
