#pragma once
/// \file
/// vrnumd's outbound HTTP(S) client (SES, Cryptomus, Turnstile, the provisioning API): one
/// request per connection, every https peer verified against the system store plus
/// `http_client.ca_file`, the whole exchange bounded by `http_client.timeout_seconds`.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <vrnum/error.hpp>

namespace vrnumd {
struct http_client_config;
}

namespace vrnumd::net {

namespace detail {
struct http_client_state;
}

/// Failures of the client itself; network and TLS errors keep their own categories.
enum class http_client_errc {
    bad_url = 1,         ///< not an absolute URL with a host, or it carries user info
    unsupported_scheme,  ///< a scheme other than http or https
    bad_request,         ///< a method or header that cannot go on the wire (CR, LF, NUL)
    timed_out,           ///< the exchange did not finish within `timeout_seconds`
    body_too_large,      ///< the response body is over `http_request::body_limit`
    internal,            ///< an unexpected exception inside the client
};

/// The category of `http_client_errc` (`vrnumd.http_client`).
const boost::system::error_category& http_client_category() noexcept;

/// Makes `http_client_errc` usable as a `boost::system::error_code`.
inline boost::system::error_code make_error_code(http_client_errc e) noexcept {
    return {static_cast<int>(e), http_client_category()};
}

/// The category of failed certificate verifications (`vrnumd.tls_verify`): the value is
/// OpenSSL's `X509_V_ERR_*` code, the message "certificate verify failed: <OpenSSL's reason>",
/// e.g. "hostname mismatch" or "self-signed certificate".
const boost::system::error_category& tls_verify_category() noexcept;

/// An absolute http(s) URL split into what goes on the wire.
struct url_parts {
    std::string scheme;       ///< "http" or "https"
    std::string host;         ///< a lower-case name, or an IP literal without brackets
    bool ip_literal = false;  ///< `host` is an IPv4 or IPv6 address
    std::uint16_t port = 0;   ///< the explicit port, else 80 or 443
    std::string target;       ///< path ("/" when empty) and "?query", as written; no fragment

    /// True for https.
    bool tls() const noexcept { return scheme == "https"; }
    /// The `Host` header sent: host (IPv6 in brackets) plus ":port" unless the default one.
    std::string authority() const;
};

/// A request to send. Owned by the caller until passed to `async_send`.
struct http_request {
    std::string method = "GET";  ///< a token: GET, POST, ...
    std::string url;             ///< http://host[:port]/path?query or https://...
    /// Sent as given, in order; `Host`, `User-Agent`, `Content-Length` (when there is a body
    /// or the method is POST, PUT or PATCH) and `Connection: close` are added when absent.
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;                               ///< sent as it is
    std::size_t body_limit = std::size_t{1} << 20;  ///< largest response body accepted
};

/// A response as received, or what is known after a failure.
struct http_response {
    unsigned status = 0;                                       ///< 0 when no response was read
    std::vector<std::pair<std::string, std::string>> headers;  ///< as received, in order
    std::string body;  ///< decoded from chunked transfer coding when the peer used it
    /// On failure: the stage, the peer and the reason, for the log, e.g.
    /// "connect to 127.0.0.1:8443: Connection refused".
    std::string error_detail;

    /// The first header with this name (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
};

/// Sends HTTP/1.1 requests, each over a new connection closed after the response.
/// Owned by its creator; `async_send` may be called from any thread at once (each request
/// runs on a strand of its own, the shared TLS context is only read). Requests in flight
/// keep the client's state alive, so it may be destroyed before they complete; the executor
/// must keep running until then. Per-operation cancellation is not supported: the timeout
/// bounds every request.
class http_client {
  public:
    /// The completion signature of `async_send`.
    using send_signature = void(boost::system::error_code, http_response);

    /// Runs requests on `ex`; loads the system's default CAs plus `cfg.ca_file`.
    /// Throws `std::runtime_error` naming the file when `ca_file` cannot be loaded.
    http_client(boost::asio::any_io_executor ex, const http_client_config& cfg);
    /// Requests in flight go on with the state they share.
    ~http_client();
    http_client(const http_client&) = delete;
    http_client& operator=(const http_client&) = delete;

    /// Sends `req` and reads the response; completes with `send_signature`. Any failure
    /// (bad URL, resolve, connect, TLS, write, read, timeout, body limit) is an error code,
    /// with `http_response::error_detail` saying which stage failed.
    template <class Token>
    auto async_send(http_request req, Token&& token) {
        return boost::asio::async_initiate<Token, send_signature>(
            [state = state_](auto handler, http_request r) {
                start(std::move(state), std::move(r),
                      boost::asio::any_completion_handler<send_signature>(std::move(handler)));
            },
            token, std::move(req));
    }

    /// Splits an absolute http(s) URL; `http_client_errc::bad_url` or `unsupported_scheme`.
    static vrnum::result<url_parts> parse_url(std::string_view url);

  private:
    static void start(std::shared_ptr<detail::http_client_state> state, http_request req,
                      boost::asio::any_completion_handler<send_signature> handler);

    std::shared_ptr<detail::http_client_state> state_;
};

}  // namespace vrnumd::net

template <>
struct boost::system::is_error_code_enum<vrnumd::net::http_client_errc> : std::true_type {};
