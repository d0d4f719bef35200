#include "net/http_client.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <chrono>
#include <exception>
#include <stdexcept>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/url/parse.hpp>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>

#include <vrnum/version.hpp>

#include "config/daemon_config.hpp"

namespace vrnumd::net {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace urls = boost::urls;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using clock_type = std::chrono::steady_clock;
using message = http::request<http::string_body>;

namespace detail {

/// What every request of one client shares; read-only once built.
struct http_client_state {
    http_client_state(asio::any_io_executor e, const http_client_config& cfg);

    asio::any_io_executor ex;
    ssl::context tls{ssl::context::tls_client};
    std::chrono::seconds timeout;
    std::string user_agent = std::string("vrnumd/") + vrnum::version();
};

http_client_state::http_client_state(asio::any_io_executor e, const http_client_config& cfg)
    : ex(std::move(e)), timeout(cfg.timeout_seconds) {
    SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
    tls.set_verify_mode(ssl::verify_peer);
    error_code ec;
    tls.set_default_verify_paths(ec);
    if (ec) {
        throw std::runtime_error("http_client: cannot load the system CA store: " + ec.message());
    }
    if (!cfg.ca_file.empty()) {
        tls.load_verify_file(cfg.ca_file.string(), ec);
        if (ec) {
            throw std::runtime_error("http_client.ca_file: cannot load CA certificates from \"" +
                                     cfg.ca_file.string() + "\": " + ec.message());
        }
    }
}

}  // namespace detail

namespace {

constexpr auto tuple_awaitable = asio::as_tuple(asio::use_awaitable);

class client_category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "vrnumd.http_client"; }
    std::string message(int v) const override {
        static constexpr std::array<const char*, 7> text{
            "unknown http_client error",
            "malformed URL (an absolute http(s) URL with a host and no user info is needed)",
            "unsupported URL scheme (only http and https)",
            "method or header not allowed on the wire",
            "timed out",
            "response body over the limit",
            "internal error",
        };
        return text[v > 0 && v < static_cast<int>(text.size()) ? v : 0];
    }
};

class verify_category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "vrnumd.tls_verify"; }
    std::string message(int v) const override {
        return std::string("certificate verify failed: ") + X509_verify_cert_error_string(v);
    }
};

// Asio's host name check, recording why it refused: alone it fails the handshake with no
// reason in the verify result, and operators need to see "hostname mismatch".
class verify_host {
  public:
    verify_host(const std::string& host, bool ip) : check_(host), ip_(ip) {}
    bool operator()(bool preverified, ssl::verify_context& ctx) const {
        bool ok = check_(preverified, ctx);
        if (preverified && !ok) {
            X509_STORE_CTX_set_error(ctx.native_handle(), ip_ ? X509_V_ERR_IP_ADDRESS_MISMATCH
                                                              : X509_V_ERR_HOSTNAME_MISMATCH);
        }
        return ok;
    }

  private:
    ssl::host_name_verification check_;
    bool ip_;
};

// An IPv6 literal in brackets, anything else as it is.
std::string bracketed(const std::string& host) {
    return host.find(':') == std::string::npos ? host : '[' + host + ']';
}

/// The result of one exchange, failed or not.
struct outcome {
    error_code ec;
    http_response response;
};

/// One request in flight: where it goes and until when.
struct exchange {
    const url_parts& url;
    clock_type::time_point deadline;
    std::size_t body_limit;
    outcome& out;

    /// Records a failure at `stage`, a Beast timeout as `timed_out`.
    void fail(std::string_view stage, error_code ec) {
        if (ec == beast::error::timeout) {
            ec = http_client_errc::timed_out;
        }
        out.ec = ec;
        out.response.error_detail = std::string(stage) + ' ' + bracketed(url.host) + ':' +
                                    std::to_string(url.port) + ": " + ec.message();
    }
};

bool is_token(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
        return std::isalnum(c) || std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) !=
                                      std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) {
    return std::none_of(s.begin(), s.end(),
                        [](char c) { return c == '\r' || c == '\n' || c == 0; });
}

bool has_header(const http_request& req, std::string_view name) {
    return std::any_of(req.headers.begin(), req.headers.end(),
                       [&](const auto& h) { return beast::iequals(h.first, name); });
}

// The request as it goes on the wire, with the headers a peer expects added when absent.
vrnum::result<message> make_message(const url_parts& url, http_request& req,
                                    const std::string& user_agent) {
    message m;
    if (!is_token(req.method)) {
        return make_error_code(http_client_errc::bad_request);
    }
    m.method_string(req.method);
    m.target(url.target);
    m.version(11);
    for (const auto& [name, value] : req.headers) {
        if (!is_token(name) || !is_field_value(value)) {
            return make_error_code(http_client_errc::bad_request);
        }
        m.insert(name, value);
    }
    if (!has_header(req, "Host")) {
        m.set(http::field::host, url.authority());
    }
    if (!has_header(req, "User-Agent")) {
        m.set(http::field::user_agent, user_agent);
    }
    bool body_method = req.method == "POST" || req.method == "PUT" || req.method == "PATCH";
    if (!has_header(req, "Content-Length") && !has_header(req, "Transfer-Encoding") &&
        (body_method || !req.body.empty())) {
        m.content_length(req.body.size());
    }
    if (!has_header(req, "Connection")) {
        m.set(http::field::connection, "close");
    }
    m.body() = std::move(req.body);
    return m;
}

// Name resolution; the deadline cancels a lookup still queued (a getaddrinfo call already
// running is not interrupted: the system resolver's own timeouts bound it).
asio::awaitable<tcp::resolver::results_type> resolve(exchange& x) {
    auto ex = co_await asio::this_coro::executor;
    auto resolver = std::make_shared<tcp::resolver>(ex);
    asio::steady_timer timer(ex, x.deadline);
    timer.async_wait([r = std::weak_ptr<tcp::resolver>(resolver)](error_code ec) {
        if (auto p = r.lock(); p && !ec) {
            p->cancel();
        }
    });
    auto flags = tcp::resolver::numeric_service;
    if (x.url.ip_literal) {
        flags |= tcp::resolver::numeric_host;
    }
    // Named, not temporaries inside the co_await (GCC 12 may destroy those twice).
    const std::string service = std::to_string(x.url.port);
    auto [ec, results] =
        co_await resolver->async_resolve(x.url.host, service, flags, tuple_awaitable);
    if (ec == asio::error::operation_aborted && clock_type::now() >= x.deadline) {
        ec = http_client_errc::timed_out;
    }
    if (ec) {
        x.fail("resolve", ec);
    }
    co_return results;
}

asio::awaitable<bool> connect(beast::tcp_stream& s, const tcp::resolver::results_type& eps,
                              exchange& x) {
    s.expires_at(x.deadline);
    auto [ec, ep] = co_await s.async_connect(eps, tuple_awaitable);
    if (ec) {
        x.fail("connect to", ec);
    }
    co_return !ec;
}

asio::awaitable<bool> handshake(beast::ssl_stream<beast::tcp_stream>& s, exchange& x) {
    // SNI carries host names only (RFC 6066 forbids IP literals).
    if (!x.url.ip_literal && SSL_set_tlsext_host_name(s.native_handle(), x.url.host.c_str()) != 1) {
        x.fail("TLS setup for", make_error_code(http_client_errc::bad_url));
        co_return false;
    }
    s.set_verify_callback(verify_host(x.url.host, x.url.ip_literal));
    beast::get_lowest_layer(s).expires_at(x.deadline);
    auto [ec] = co_await s.async_handshake(ssl::stream_base::client, tuple_awaitable);
    if (ec) {
        if (long v = SSL_get_verify_result(s.native_handle()); v != X509_V_OK) {
            ec.assign(static_cast<int>(v), tls_verify_category());
        }
        x.fail("TLS handshake with", ec);
    }
    co_return !ec;
}

void take_response(http::response<http::string_body>&& res, http_response& out) {
    out.status = res.result_int();
    for (const auto& f : res) {
        out.headers.emplace_back(f.name_string(), f.value());
    }
    out.body = std::move(res.body());
}

// Writes the request and reads the whole response, within the deadline.
template <class Stream>
asio::awaitable<void> transact(Stream& s, message& m, exchange& x) {
    beast::get_lowest_layer(s).expires_at(x.deadline);
    auto [wec, written] = co_await http::async_write(s, m, tuple_awaitable);
    if (wec) {
        x.fail("send request to", wec);
        co_return;
    }
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(x.body_limit);
    parser.header_limit(64 * 1024);
    auto [ec, read] = co_await http::async_read(s, buffer, parser, tuple_awaitable);
    // A body ended by the close, from a peer that skips TLS close_notify.
    if (ec == ssl::error::stream_truncated && parser.need_eof()) {
        parser.put_eof(ec);
    }
    if (ec == http::error::body_limit) {
        ec = http_client_errc::body_too_large;
    }
    if (ec) {
        x.fail("read response from", ec);
        co_return;
    }
    take_response(parser.release(), x.out.response);
}

asio::awaitable<outcome> run(std::shared_ptr<detail::http_client_state> st, http_request req) {
    outcome out;
    auto url = http_client::parse_url(req.url);
    if (!url) {
        out.ec = url.error();
        out.response.error_detail = "parse URL: " + out.ec.message();
        co_return out;
    }
    auto m = make_message(*url, req, st->user_agent);
    if (!m) {
        out.ec = m.error();
        out.response.error_detail = "build request: " + out.ec.message();
        co_return out;
    }
    exchange x{*url, clock_type::now() + st->timeout, req.body_limit, out};
    auto eps = co_await resolve(x);
    if (out.ec) {
        co_return out;
    }
    auto ex = co_await asio::this_coro::executor;
    if (url->tls()) {
        beast::ssl_stream<beast::tcp_stream> s(ex, st->tls);
        // One co_await per statement: GCC 12 miscompiles some inside && and ?:.
        bool connected = co_await connect(beast::get_lowest_layer(s), eps, x);
        bool secured = false;
        if (connected) {
            secured = co_await handshake(s, x);
        }
        if (secured) {
            co_await transact(s, *m, x);
        }
    } else {
        beast::tcp_stream s(ex);
        if (co_await connect(s, eps, x)) {
            co_await transact(s, *m, x);
        }
    }
    co_return out;
}

std::string to_lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// Fills in the host of `out` from `u`: a lower-case name or an IP literal without brackets.
error_code take_host(const urls::url_view& u, url_parts& out) {
    switch (u.host_type()) {
        case urls::host_type::ipv4:
            out.host = u.host_ipv4_address().to_string();
            out.ip_literal = true;
            return {};
        case urls::host_type::ipv6:
            out.host = u.host_ipv6_address().to_string();
            out.ip_literal = true;
            return {};
        case urls::host_type::name:
            if (u.encoded_host().empty() || u.encoded_host().find('%') != urls::string_view::npos) {
                return http_client_errc::bad_url;
            }
            out.host = to_lower(u.encoded_host());
            return {};
        default:
            return http_client_errc::bad_url;
    }
}

// An exception escaping the exchange (out of memory, say), as an `internal` failure.
outcome from_exception(const std::exception_ptr& e) {
    outcome out{make_error_code(http_client_errc::internal), {}};
    out.response.error_detail = "internal error";
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        out.response.error_detail += std::string(": ") + x.what();
    } catch (...) {
    }
    return out;
}

}  // namespace

const boost::system::error_category& http_client_category() noexcept {
    static const client_category c;
    return c;
}

const boost::system::error_category& tls_verify_category() noexcept {
    static const verify_category c;
    return c;
}

std::string url_parts::authority() const {
    std::string out = bracketed(host);
    if (port != (tls() ? 443 : 80)) {
        out += ':' + std::to_string(port);
    }
    return out;
}

std::string_view http_response::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) {
            return v;
        }
    }
    return {};
}

vrnum::result<url_parts> http_client::parse_url(std::string_view url) {
    auto parsed = urls::parse_uri(url);
    if (!parsed) {
        return make_error_code(http_client_errc::bad_url);
    }
    const urls::url_view& u = *parsed;
    url_parts out;
    if (u.scheme_id() == urls::scheme::http || u.scheme_id() == urls::scheme::https) {
        out.scheme = u.scheme_id() == urls::scheme::http ? "http" : "https";
    } else {
        return make_error_code(http_client_errc::unsupported_scheme);
    }
    if (!u.has_authority() || u.has_userinfo()) {
        return make_error_code(http_client_errc::bad_url);
    }
    if (auto ec = take_host(u, out)) {
        return ec;
    }
    out.port = out.tls() ? 443 : 80;
    if (auto port = u.port(); !port.empty()) {
        // Parsed here: Boost.URL 1.81's port_number() wraps values over 65535.
        unsigned n = 0;
        auto [end, err] = std::from_chars(port.data(), port.data() + port.size(), n);
        if (err != std::errc() || end != port.data() + port.size() || n == 0 || n > 65535) {
            return make_error_code(http_client_errc::bad_url);
        }
        out.port = static_cast<std::uint16_t>(n);
    }
    out.target = u.encoded_path().empty() ? "/" : std::string(u.encoded_path());
    if (u.has_query()) {
        out.target += '?' + std::string(u.encoded_query());
    }
    return out;
}

http_client::http_client(asio::any_io_executor ex, const http_client_config& cfg)
    : state_(std::make_shared<detail::http_client_state>(std::move(ex), cfg)) {}

http_client::~http_client() = default;

void http_client::start(std::shared_ptr<detail::http_client_state> state, http_request req,
                        asio::any_completion_handler<send_signature> handler) {
    auto handler_ex = asio::get_associated_executor(handler, state->ex);
    auto strand = asio::make_strand(state->ex);
    // A strand per request: the coroutine and its resolve timer never run at once.
    asio::co_spawn(std::move(strand), run(std::move(state), std::move(req)),
                   asio::bind_executor(handler_ex, [h = std::move(handler)](std::exception_ptr e,
                                                                            outcome o) mutable {
                       if (e) {
                           o = from_exception(e);
                       }
                       std::move(h)(o.ec, std::move(o.response));
                   }));
}

}  // namespace vrnumd::net
