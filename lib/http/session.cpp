#include "http/session.hpp"

#include <array>
#include <ctime>
#include <random>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <vrnum/error.hpp>

#include "http/framing.hpp"
#include "http/stream_ops.hpp"
#include "log/json_log.hpp"

namespace vrnum::detail {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t read_chunk = 8192;

std::string make_request_id() {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t v = rng();
    std::string s(16, '0');
    for (char& c : s) {
        c = hex[v & 15];
        v >>= 4;
    }
    return s;
}

// The Date header changes once a second: format it once a second per thread.
const std::string& http_date() {
    thread_local std::time_t formatted_at = -1;
    thread_local std::string value;
    std::time_t t = std::time(nullptr);
    if (t != formatted_at) {
        std::tm tm{};
        gmtime_r(&t, &tm);
        std::array<char, 40> buf{};
        auto n = std::strftime(buf.data(), buf.size(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
        value.assign(buf.data(), n);
        formatted_at = t;
    }
    return value;
}

bool is_body_method(std::string_view m) {
    return m == "POST" || m == "PUT" || m == "PATCH";
}

// Every line of a header joined with ", " (a proxy may add a line of its own).
std::string joined_header(const bhttp::fields& f, std::string_view name) {
    std::string out;
    if (name.empty()) {
        return out;
    }
    for (auto [it, end] = f.equal_range(name); it != end; ++it) {
        out += out.empty() ? std::string(it->value()) : ", " + std::string(it->value());
    }
    return out;
}

// What the session learns of one exchange, for the access log and metrics.
struct exchange {
    std::string request_id = make_request_id();
    std::string method;
    std::string route = "-";
    std::string client_ip;
    unsigned version = 11;
    bool keep_alive = true;  // what the client asked for (Connection, version)
    unsigned status = 0;
    std::chrono::steady_clock::time_point start = std::chrono::steady_clock::now();
};

template <class Stream>
class session {
  public:
    session(Stream& s, server_context& ctx, const router& routes, session_handle& h)
        : stream_(s), ctx_(ctx), routes_(routes), handle_(h), wait_timer_(s.get_executor()) {}
    // However the session ends (an exception included), the drain must not reach into it.
    ~session() {
        handle_.stop = nullptr;
        handle_.wake = nullptr;
    }
    session(const session&) = delete;
    session& operator=(const session&) = delete;

    net::awaitable<void> run();

  private:
    enum class next { keep_alive, close, close_now };

    net::awaitable<bool> read_head(detail::head_scan& scan, bool first);
    net::awaitable<next> serve_one(const detail::head_scan& scan);
    net::awaitable<next> fail(exchange& ex, errc code, std::string_view detail,
                              std::string allow = {}, bool may_keep = false);
    net::awaitable<next> send(exchange& ex, http::response res);
    void format_head(exchange& ex, http::response& res, const response_framing& framing);
    net::awaitable<next> send_stream(exchange& ex, http::response res);
    net::awaitable<http::response> call(const http::route& r, http::request& req);
    void finish(const exchange& ex);

    Stream& stream_;
    server_context& ctx_;
    const router& routes_;
    session_handle& handle_;
    beast::flat_buffer buffer_;
    net::steady_timer wait_timer_;
    net::ip::address peer_addr_;
    std::string peer_ip_;  // peer_addr_ as text, formatted once
    std::string head_;     // the response head being sent; its capacity serves the next one
    std::vector<std::string> segments_;  // the target's path segments, for routing
};

template <class Stream>
net::awaitable<void> session<Stream>::run() {
    beast::error_code ec;
    auto ep = lowest(stream_).socket().remote_endpoint(ec);
    if (ec) {
        co_return;
    }
    peer_addr_ = ep.address();
    peer_ip_ = peer_addr_.to_string();
    handle_.stop = [this] { lowest(stream_).cancel(); };
    handle_.wake = [this] { wait_timer_.cancel(); };
    if constexpr (!std::is_same_v<Stream, plain_stream>) {
        lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.header_timeout_seconds));
        auto [hec] =
            co_await stream_.async_handshake(net::ssl::stream_base::server, tuple_awaitable);
        if (hec) {
            co_return;
        }
    }
    buffer_.max_size(2 * ctx_.cfg.max_header_bytes + ctx_.cfg.max_body_bytes + 2 * read_chunk);
    for (bool first = true;; first = false) {
        detail::head_scan scan;
        if (!co_await read_head(scan, first)) {
            break;
        }
        next n = co_await serve_one(scan);
        if (n == next::close_now) {
            break;
        }
        if (n == next::close || ctx_.draining || handle_.forced) {
            co_await close_gracefully(stream_);
            break;
        }
    }
}

// Reads until the buffer holds a whole head (or a framing error or the size limit shows).
// The first request of a connection and the rest of a started head run on the header
// deadline; waiting for the next request of a kept-alive connection on the idle one.
template <class Stream>
net::awaitable<bool> session<Stream>::read_head(detail::head_scan& scan, bool first) {
    bool header_clock = first || buffer_.size() > 0;
    lowest(stream_).expires_after(std::chrono::seconds(
        header_clock ? ctx_.cfg.header_timeout_seconds : ctx_.cfg.idle_timeout_seconds));
    for (;;) {
        auto data = buffer_.cdata();
        scan = detail::scan_request_head({static_cast<const char*>(data.data()), data.size()},
                                         ctx_.cfg.max_header_bytes);
        if (scan.status != detail::head_status::need_more) {
            handle_.idle = false;
            co_return true;
        }
        if (!header_clock && buffer_.size() > 0) {
            header_clock = true;
            lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.header_timeout_seconds));
        }
        handle_.idle = buffer_.size() == 0;
        if ((handle_.idle && ctx_.draining) || handle_.forced) {
            co_return false;
        }
        // Pipelined bytes may already fill the buffer: a head that does not fit is too large.
        std::size_t room = buffer_.max_size() - buffer_.size();
        if (room == 0) {
            scan.status = detail::head_status::too_large;
            co_return true;
        }
        auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(std::min(room, read_chunk)),
                                                        tuple_awaitable);
        handle_.idle = false;
        if (ec) {
            co_return false;  // closed, reset, timed out or stopped: nothing to answer
        }
        buffer_.commit(n);
    }
}

template <class Stream>
net::awaitable<typename session<Stream>::next> session<Stream>::serve_one(
    const detail::head_scan& scan) {
    exchange ex;
    ex.client_ip = peer_ip_;
    using detail::head_status;
    if (scan.status == head_status::too_large) {
        co_return co_await fail(ex, errc::headers_too_large, "request headers too large");
    }
    if (scan.status != head_status::complete) {
        co_return co_await fail(ex, errc::malformed,
                                scan.status == head_status::obs_fold
                                    ? "obsolete line folding in headers"
                                    : "bare CR or LF in request head");
    }
    buffer_.consume(scan.skip);

    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(ctx_.cfg.max_header_bytes));
    // The body's size is checked once the route is known (its owner counts refusals).
    parser.body_limit(boost::none);
    beast::error_code ec;
    auto used = parser.put(net::buffer(buffer_.data().data(), scan.length), ec);
    if (ec == bhttp::error::header_limit) {
        co_return co_await fail(ex, errc::headers_too_large, "request headers too large");
    }
    if (ec || !parser.is_header_done() || used != scan.length) {
        co_return co_await fail(ex, errc::malformed, "malformed request head");
    }
    buffer_.consume(used);
    auto& head = parser.get();
    ex.method = std::string(head.method_string());
    if (head.version() != 11 && head.version() != 10) {
        co_return co_await fail(ex, errc::malformed, "unsupported HTTP version");
    }
    ex.version = head.version();
    ex.keep_alive = parser.keep_alive();
    // RFC 9112 §3.2: exactly one Host in HTTP/1.1.
    auto hosts = head.count(bhttp::field::host);
    if ((ex.version == 11 && hosts == 0) || hosts > 1) {
        co_return co_await fail(ex, errc::malformed, "exactly one Host header required");
    }
    auto te = head.find(bhttp::field::transfer_encoding);
    // Beast accepts "gzip, chunked" and reads "chunked, gzip" as having no body; neither is
    // a coding we decode, and the second one smuggles (RFC 9112 §6.3).
    if (te != head.end() && (!parser.chunked() || !beast::iequals(te->value(), "chunked"))) {
        co_return co_await fail(ex, errc::malformed, "unsupported Transfer-Encoding");
    }
    const bool has_body = parser.chunked() || parser.content_length().value_or(0) > 0;
    const bool framed = parser.chunked() || parser.content_length().has_value();
    if (is_body_method(ex.method) && !framed) {
        co_return co_await fail(ex, errc::length_required,
                                "Content-Length or chunked body required");
    }

    if (!detail::split_target(head.target(), segments_)) {
        co_return co_await fail(ex, errc::malformed, "bad request target");
    }
    auto match = routes_.find(ex.method, segments_);
    if (match.kind != route_match::found) {
        // An unread body leaves the connection unable to carry another request.
        // (No co_await inside ?: — GCC 12 miscompiles it.)
        if (match.kind == route_match::not_found) {
            co_return co_await fail(ex, errc::not_found, "no such resource", {}, !has_body);
        }
        co_return co_await fail(ex, errc::method_not_allowed, "method not allowed", match.allow,
                                !has_body);
    }
    ex.route = match.route->pattern;
    auto refuse = [&](errc code) {
        if (match.route->refused) {
            match.route->refused(make_error_code(code));
        }
    };
    if (parser.content_length().value_or(0) > ctx_.cfg.max_body_bytes) {
        refuse(errc::too_large);
        co_return co_await fail(ex, errc::too_large, "request body too large");
    }
    parser.body_limit(ctx_.cfg.max_body_bytes);  // a chunked body, as it arrives

    const auto fields_in_head = static_cast<std::size_t>(std::distance(head.begin(), head.end()));
    if (has_body) {
        if (beast::iequals(head[bhttp::field::expect], "100-continue") && head.version() == 11) {
            static constexpr std::string_view cont = "HTTP/1.1 100 Continue\r\n\r\n";
            auto [wec, wn] = co_await net::async_write(stream_, net::buffer(cont), tuple_awaitable);
            if (wec) {
                co_return next::close_now;
            }
        }
        // The body mostly arrives with the head: parse what the buffer holds before reading.
        beast::error_code rec;
        while (!parser.is_done() && buffer_.size() > 0) {
            auto n = parser.put(buffer_.data(), rec);
            buffer_.consume(n);
            if (rec == bhttp::error::need_more) {
                rec = {};
                if (n == 0) {
                    break;
                }
            } else if (rec) {
                break;
            }
        }
        if (!rec && !parser.is_done()) {
            lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.body_timeout_seconds));
            std::tie(rec, std::ignore) =
                co_await bhttp::async_read(stream_, buffer_, parser, tuple_awaitable);
        }
        if (rec == bhttp::error::body_limit) {
            refuse(errc::too_large);
            co_return co_await fail(ex, errc::too_large, "request body too large");
        }
        if (rec == beast::error::timeout || rec == net::error::operation_aborted ||
            rec == bhttp::error::end_of_stream || rec == net::error::eof ||
            rec == net::error::connection_reset) {
            co_return next::close_now;
        }
        if (rec) {
            refuse(errc::malformed);
            co_return co_await fail(ex, errc::malformed, "malformed request body");
        }
        // Beast merges chunked trailer fields into the head; RFC 9110 §6.5.1 forbids that,
        // and they would bypass the head's checks.
        auto& full = parser.get();
        if (static_cast<std::size_t>(std::distance(full.begin(), full.end())) != fields_in_head) {
            co_return co_await fail(ex, errc::malformed, "trailer fields are not accepted");
        }
    }

    auto msg = parser.release();
    http::request req;
    req.method = ex.method;
    req.target = std::string(msg.target());
    for (const auto& f : msg) {
        req.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    req.body = std::move(msg.body());
    req.params = std::move(match.params);
    req.route = ex.route;
    const std::string forwarded = joined_header(msg, ctx_.proxies.header());
    req.client_ip = forwarded.empty() ? peer_ip_ : ctx_.proxies.client_ip(peer_addr_, forwarded);
    req.request_id = ex.request_id;
    req.tls = !std::is_same_v<Stream, plain_stream>;
    ex.client_ip = req.client_ip;

    http::response res = co_await call(*match.route, req);
    if (res.stream && ex.method != "HEAD") {
        co_return co_await send_stream(ex, std::move(res));
    }
    co_return co_await send(ex, std::move(res));
}

template <class Stream>
net::awaitable<http::response> session<Stream>::call(const http::route& r, http::request& req) {
    std::string what;
    try {
        co_return co_await r.fn(req);
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "unknown exception";
    }
    log_event(ctx_.log, spdlog::level::err, "handler failed",
              {{"request_id", req.request_id}, {"route", req.route}, {"error", what}});
    co_return http::error_response(errc::internal, "internal error");
}

// Framing and size errors leave the stream in an unknown state: answer, then close.
// `may_keep` marks the few errors after which the next request can still be read.
template <class Stream>
net::awaitable<typename session<Stream>::next> session<Stream>::fail(exchange& ex, errc code,
                                                                     std::string_view detail,
                                                                     std::string allow,
                                                                     bool may_keep) {
    http::response res = http::error_response(code, detail);
    if (!allow.empty()) {
        res.set("Allow", std::move(allow));
    }
    res.close = !may_keep;
    co_return co_await send(ex, std::move(res));
}

// A handler's header that would break the head (a CR or LF in a value, a name that is no
// token) turns the answer into a 500: the client gets a well-formed response either way.
template <class Stream>
void session<Stream>::format_head(exchange& ex, http::response& res,
                                  const response_framing& framing) {
    if (!format_response_head(head_, res.status, res.headers, http_date(), ex.request_id,
                              framing)) {
        log_event(ctx_.log, spdlog::level::err, "handler answered an invalid header",
                  {{"request_id", ex.request_id}, {"route", ex.route}});
        const bool close = res.close;
        res = http::error_response(errc::internal, "internal error");
        res.close = close;
        response_framing f = framing;
        if (f.content_length) {
            f.content_length = res.body.size();
        }
        format_response_head(head_, res.status, res.headers, http_date(), ex.request_id, f);
    }
    ex.status = res.status;
}

template <class Stream>
net::awaitable<typename session<Stream>::next> session<Stream>::send(exchange& ex,
                                                                     http::response res) {
    if (handle_.forced) {
        finish(ex);
        co_return next::close_now;
    }
    const bool keep_alive = ex.keep_alive && !res.close && !ctx_.draining;
    response_framing framing;
    framing.content_length = res.body.size();
    // An HTTP/1.0 client assumes the close unless told otherwise.
    framing.connection = !keep_alive        ? connection_field::close
                         : ex.version == 10 ? connection_field::keep_alive
                                            : connection_field::none;
    format_head(ex, res, framing);
    // HEAD: the same head, Content-Length included, and no body.
    std::string_view body = ex.method == "HEAD" ? std::string_view{} : res.body;
    lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.idle_timeout_seconds));
    beast::error_code ec;
    if constexpr (std::is_same_v<Stream, plain_stream>) {
        // Head and body in one gathered write.
        std::array<net::const_buffer, 2> parts{net::buffer(head_), net::buffer(body)};
        std::tie(ec, std::ignore) = co_await net::async_write(stream_, parts, tuple_awaitable);
    } else {
        // TLS writes one buffer per record: join them so that they go out as one.
        head_.append(body);
        std::tie(ec, std::ignore) =
            co_await net::async_write(stream_, net::buffer(head_), tuple_awaitable);
    }
    finish(ex);
    if (ec) {
        co_return next::close_now;
    }
    co_return keep_alive ? next::keep_alive : next::close;
}

// The handler owns the connection: chunked for HTTP/1.1, delimited by the close for 1.0
// (RFC 9112 §6.1). The closing chunk goes out only when the handler ended normally, so a
// client never takes a cut-off stream for a whole one.
template <class Stream>
net::awaitable<typename session<Stream>::next> session<Stream>::send_stream(exchange& ex,
                                                                            http::response res) {
    const bool chunked = ex.version == 11;
    response_framing framing;
    framing.chunked = chunked;
    framing.connection = connection_field::close;
    format_head(ex, res, framing);
    if (!res.stream) {
        co_return co_await send(ex, std::move(res));  // the handler's header was refused
    }
    lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.idle_timeout_seconds));
    auto [ec, n] = co_await net::async_write(stream_, net::buffer(head_), tuple_awaitable);
    if (ec) {
        finish(ex);
        co_return next::close_now;
    }
    stream_writer<Stream> writer(stream_, ctx_, handle_, wait_timer_, chunked);
    bool completed = false;
    std::string what;
    try {
        co_await res.stream(writer);
        completed = true;
    } catch (const std::exception& e) {
        what = e.what();
    } catch (...) {
        what = "unknown exception";
    }
    if (!completed) {
        log_event(ctx_.log, spdlog::level::err, "stream failed",
                  {{"request_id", ex.request_id}, {"route", ex.route}, {"error", what}});
    }
    finish(ex);
    if (!completed || !writer.ok()) {
        co_return next::close_now;
    }
    if (chunked) {
        lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.idle_timeout_seconds));
        co_await net::async_write(stream_, bhttp::make_chunk_last(), tuple_awaitable);
    }
    co_return next::close;
}

template <class Stream>
void session<Stream>::finish(const exchange& ex) {
    double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - ex.start).count();
    ctx_.metrics.observe(ex.route, ex.method, ex.status, secs);
    if (!ctx_.log.should_log(spdlog::level::info)) {
        return;  // spare the fields (the truncated address among them) when nothing is written
    }
    log_event(ctx_.log, spdlog::level::info, "request",
              {{"request_id", ex.request_id},
               {"method", ex.method},
               {"route", ex.route},
               {"status", ex.status},
               {"duration_ms", secs * 1000.0},
               {"ip", truncate_ip(ex.client_ip)}});
}

}  // namespace

server_context::server_context(server_config c, std::shared_ptr<spdlog::logger> l,
                               std::shared_ptr<prometheus::Registry> r)
    : cfg(std::move(c)),
      proxies(cfg.trusted_proxies, cfg.client_ip_header),
      logger(std::move(l)),
      log(*logger),
      registry(std::move(r)),
      metrics(*registry) {}

void server_context::add(const std::shared_ptr<session_handle>& h) {
    std::lock_guard lock(mutex_);
    sessions_.insert(h);
}

std::size_t server_context::remove(const std::shared_ptr<session_handle>& h) {
    std::lock_guard lock(mutex_);
    sessions_.erase(h);
    return sessions_.size();
}

void server_context::stop_all(bool force) {
    std::vector<std::shared_ptr<session_handle>> all;
    {
        std::lock_guard lock(mutex_);
        all.assign(sessions_.begin(), sessions_.end());
    }
    for (auto& h : all) {
        net::post(h->executor, [h, force] {
            h->forced = h->forced || force;
            if ((h->idle || force) && h->stop) {
                h->stop();
            }
            if (h->wake) {
                h->wake();
            }
        });
    }
}

template <class Stream>
net::awaitable<void> run_session(Stream& stream, server_context& ctx, const router& routes,
                                 session_handle& handle) {
    session<Stream> s(stream, ctx, routes, handle);
    co_await s.run();
}

template net::awaitable<void> run_session<plain_stream>(plain_stream&, server_context&,
                                                        const router&, session_handle&);
template net::awaitable<void> run_session<tls_stream>(tls_stream&, server_context&, const router&,
                                                      session_handle&);

}  // namespace vrnum::detail
