#pragma once
// Pieces of a session that act on its stream alone: the graceful close and the body_writer
// handed to streaming handlers. Private to session.cpp.

#include <array>
#include <chrono>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <openssl/ssl.h>

#include <vrnum/http.hpp>

#include "http/session.hpp"

namespace vrnum::detail {

inline constexpr auto tuple_awaitable = boost::asio::as_tuple(boost::asio::use_awaitable);

template <class Stream>
auto& lowest(Stream& s) {
    return boost::beast::get_lowest_layer(s);
}

// Ends a connection so that the peer still reads our last answer: TLS close_notify without
// waiting for the peer's, stop sending, then drain what the peer still sends for a short
// while (a close with unread data would reset the connection and could destroy the answer).
template <class Stream>
boost::asio::awaitable<void> close_gracefully(Stream& stream) {
    namespace net = boost::asio;
    using namespace std::chrono_literals;
    if constexpr (!std::is_same_v<Stream, plain_stream>) {
        SSL_set_shutdown(stream.native_handle(), SSL_RECEIVED_SHUTDOWN);
        lowest(stream).expires_after(2s);
        co_await stream.async_shutdown(tuple_awaitable);
    }
    boost::beast::error_code ec;
    lowest(stream).socket().shutdown(net::ip::tcp::socket::shutdown_send, ec);
    lowest(stream).expires_after(2s);
    std::array<char, 8192> sink{};
    std::size_t drained = 0;
    while (drained < (1U << 20)) {
        auto [rec, n] = co_await lowest(stream).async_read_some(net::buffer(sink), tuple_awaitable);
        if (rec) {
            break;
        }
        drained += n;
    }
    lowest(stream).close();
}

// The body of a streamed answer: chunks for HTTP/1.1, raw bytes (ended by the close) for
// HTTP/1.0. Lives on the session's strand for the duration of the stream callback.
template <class Stream>
class stream_writer final : public http::body_writer {
  public:
    stream_writer(Stream& s, server_context& ctx, session_handle& h, boost::asio::steady_timer& t,
                  bool chunked)
        : stream_(s), ctx_(ctx), handle_(h), timer_(t), chunked_(chunked) {}

    boost::asio::awaitable<bool> write(std::string data) override {
        namespace net = boost::asio;
        if (!ok_ || handle_.forced) {
            co_return false;
        }
        lowest(stream_).expires_after(std::chrono::seconds(ctx_.cfg.idle_timeout_seconds));
        boost::beast::error_code ec;
        if (chunked_) {
            std::tie(ec, std::ignore) = co_await net::async_write(
                stream_, boost::beast::http::make_chunk(net::buffer(data)), tuple_awaitable);
        } else {
            std::tie(ec, std::ignore) =
                co_await net::async_write(stream_, net::buffer(data), tuple_awaitable);
        }
        ok_ = !ec;
        co_return ok_;
    }
    bool stopping() const noexcept override { return ctx_.draining || !ok_ || handle_.forced; }
    boost::asio::awaitable<bool> wait(std::chrono::milliseconds d) override {
        if (stopping()) {
            co_return false;
        }
        timer_.expires_after(d);
        co_await timer_.async_wait(tuple_awaitable);
        co_return !stopping();
    }
    /// True while the connection is usable for the closing chunk.
    bool ok() const { return ok_ && !handle_.forced; }

  private:
    Stream& stream_;
    server_context& ctx_;
    session_handle& handle_;
    boost::asio::steady_timer& timer_;
    bool chunked_;
    bool ok_ = true;
};

}  // namespace vrnum::detail
