#pragma once
/// \file
/// Requests, responses and routes as the gateway's HTTP server hands them to handlers,
/// the library's own and the ones an embedder adds with `gateway::add_routes`.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>

#include <vrnum/request_view.hpp>

namespace vrnum::http {

/// A request whose head and body have been read in full. Owned by the connection's
/// session for the duration of the handler call.
struct request {
    std::string method;  ///< as received; HEAD is handed to GET routes as "HEAD"
    std::string target;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::map<std::string, std::string, std::less<>> params;  ///< `{name}` segments of the route
    std::string route;       ///< the matched route template, e.g. `/webhooks/{id}`
    std::string client_ip;   ///< the peer, or the proxy header's client behind trusted proxies
    std::string request_id;  ///< also sent back as `X-Request-Id`
    bool tls = false;

    /// A view over this request (valid while it lives).
    request_view view() const;
    /// The first header with this name (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
};

/// Writes the body of a streamed response (SSE, downloads). Owned by the session; valid only
/// during the stream callback; used from the session's executor only.
class body_writer {
  public:
    virtual ~body_writer() = default;
    /// Sends `data` as one chunk; false once the peer is gone or the server is stopping.
    virtual boost::asio::awaitable<bool> write(std::string data) = 0;
    /// True once the server drains: the stream should end promptly.
    virtual bool stopping() const noexcept = 0;
    /// Waits up to `d` (or until the server stops); true if the stream may go on.
    virtual boost::asio::awaitable<bool> wait(std::chrono::milliseconds d) = 0;
};

/// What a handler answers. With `stream` set, the head is sent (chunked) and `stream` then
/// owns the connection until it returns; `body` is ignored.
struct response {
    unsigned status = 200;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    std::function<boost::asio::awaitable<void>(body_writer&)> stream;
    bool close = false;  ///< close the connection after this response

    /// Adds or replaces a header.
    response& set(std::string name, std::string value);
};

/// `{"error":code,"detail":detail}` with the status of `ec`.
response error_response(const boost::system::error_code& ec, std::string_view detail);
/// A JSON body (already serialised) with `Content-Type: application/json`.
response json_response(unsigned status, std::string body);

/// A request handler; runs on the connection's executor and may suspend.
using handler = std::function<boost::asio::awaitable<response>(request&)>;

/// One route: a method and a path template whose `{name}` segments match one path segment.
struct route {
    std::string method;
    std::string pattern;
    handler fn;
    /// Optional: told when the server answers a request for this route itself, before `fn`
    /// runs (`errc::too_large` for a body over `max_body_bytes`, `errc::malformed` for a
    /// broken body); for the route owner's metrics. Runs on the connection's executor.
    std::function<void(const boost::system::error_code&)> refused;
};

}  // namespace vrnum::http
