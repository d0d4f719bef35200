#pragma once
/// \file
/// A webhook source: verifies a request over its raw bytes, then parses it into messages.
/// Both are pure functions of the request (and the clock), testable with plain strings.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vrnum/config.hpp>
#include <vrnum/error.hpp>
#include <vrnum/message.hpp>
#include <vrnum/request_view.hpp>

namespace vrnum {

/// What a source makes of a verified request.
struct parsed_request {
    /// Messages to store (none for events that carry no SMS, e.g. a delivery receipt).
    std::vector<message> messages;
};

/// The answer to a webhook that was stored, or that carried nothing to store (SPEC §1).
struct success_answer {
    std::string content_type;  ///< empty: no body
    std::string body;
};

/// A request as a provider of some kind would send it (for `vrnumd simulate` and tests).
struct outgoing_request {
    std::string method = "POST";
    std::string target;  ///< origin-form, e.g. `/webhooks/demo`
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

/// One configured source. Immutable after construction; safe to use from many threads.
class source {
  public:
    virtual ~source() = default;
    /// The configured id.
    virtual std::string_view id() const noexcept = 0;
    /// Success, or the `verify_error` saying why the signature is refused (`missing`,
    /// `mismatch`, `stale`; each answered 401 `bad_signature`). Compares in constant time over the
    /// raw bytes; `base_url` is the public base URL for schemes that sign the URL; `now` is the
    /// clock to check timestamps with.
    virtual boost::system::error_code verify(const request_view& req, std::string_view base_url,
                                             std::chrono::system_clock::time_point now) const = 0;
    /// Parses a verified request: `errc::malformed` (bad JSON or form, invalid UTF-8, a
    /// required field missing) or the normalised messages, `received_at` set to `now`.
    virtual result<parsed_request> parse(const request_view& req,
                                         std::chrono::system_clock::time_point now) const = 0;
    /// The HTTP methods its webhook route takes: POST; `vonage` also GET.
    virtual std::vector<std::string> methods() const { return {"POST"}; }
    /// What a provider of this kind expects on success: an empty 200, TwiML for `twilio`.
    virtual success_answer accepted_answer() const { return {}; }
    /// Told when a request that passed `verify` has been answered with success (every message
    /// in it committed), e.g. to remember a nonce that must not verify again. Thread-safe.
    virtual void accepted(const request_view& req,
                          std::chrono::system_clock::time_point now) const {
        (void)req;
        (void)now;
    }
    /// Whether this source reads a body of this `Content-Type` (the header's whole value,
    /// empty when absent); a request it does not take is answered 415 after verification.
    virtual bool accepts_content_type(std::string_view content_type) const noexcept {
        (void)content_type;
        return true;
    }
    /// A correctly signed webhook carrying `m`, as this source's provider would post it to
    /// `/webhooks/<id>` of a gateway whose public base URL is `base_url`; nullopt when the
    /// kind cannot produce one (it verifies with a public key only).
    virtual std::optional<outgoing_request> demo_request(
        const message& m, std::string_view base_url,
        std::chrono::system_clock::time_point now) const {
        (void)m;
        (void)base_url;
        (void)now;
        return std::nullopt;
    }
    /// As `demo_request`, for the kinds whose provider signs with a private key (`telnyx`,
    /// `standard-webhooks` `v1a`): signed with `ed25519_private_pem` (PKCS#8 PEM). nullopt for
    /// the other kinds; throws `std::invalid_argument` when the key is not an Ed25519 private
    /// key or its public half is none of the source's public keys.
    virtual std::optional<outgoing_request> demo_request_signed(
        const message& m, std::string_view base_url, std::chrono::system_clock::time_point now,
        std::string_view ed25519_private_pem) const {
        (void)m;
        (void)base_url;
        (void)now;
        (void)ed25519_private_pem;
        return std::nullopt;
    }
};

/// Builds the source a configuration entry describes; throws config_error-free
/// std::invalid_argument for a kind not yet supported.
std::unique_ptr<source> make_source(const source_config& cfg);

}  // namespace vrnum
