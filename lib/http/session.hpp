#pragma once
// One connection's life: read a request, route it, answer it, repeat. A session is a single
// coroutine that owns its stream, buffer and deadlines (DESIGN §3, §5.1).

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <vrnum/config.hpp>

#include "http/client_ip.hpp"
#include "http/router.hpp"
#include "metrics/metrics.hpp"

namespace spdlog {
class logger;
}

namespace vrnum::detail {

/// The part of a session the server reaches from outside to drain it. Touched only on the
/// session's strand (post to `executor`).
struct session_handle {
    boost::asio::any_io_executor executor;
    bool idle = false;           // waiting for the first byte of a request
    bool forced = false;         // the drain's grace period is over: stop at the next step
    std::function<void()> stop;  // cancels pending I/O; set while the session runs
    std::function<void()> wake;  // wakes a streaming handler's wait
};

/// State shared by every session of a server. Immutable but for the atomics and the
/// registry, which has its own mutex.
struct server_context {
    server_context(server_config c, std::shared_ptr<spdlog::logger> l,
                   std::shared_ptr<prometheus::Registry> r);

    const server_config cfg;
    const proxy_policy proxies;
    const std::shared_ptr<spdlog::logger> logger;
    spdlog::logger& log;
    const std::shared_ptr<prometheus::Registry> registry;  // outlives `metrics`' families
    http_metrics metrics;
    std::atomic<bool> draining{false};
    std::atomic<std::size_t> open{0};

    /// Registry of live sessions, for draining.
    void add(const std::shared_ptr<session_handle>& h);
    /// Forgets a session; returns the number still open.
    std::size_t remove(const std::shared_ptr<session_handle>& h);
    /// Asks every session to stop: idle ones at once, busy ones after their answer.
    void stop_all(bool force);

  private:
    std::mutex mutex_;
    std::unordered_set<std::shared_ptr<session_handle>> sessions_;
};

using plain_stream = boost::beast::tcp_stream;
using tls_stream = boost::asio::ssl::stream<boost::beast::tcp_stream>;

/// Serves requests on `stream` until the peer leaves, a deadline passes, a framing error
/// closes it, or the server drains. Never throws for network or protocol errors.
template <class Stream>
boost::asio::awaitable<void> run_session(Stream& stream, server_context& ctx, const router& routes,
                                         session_handle& handle);

extern template boost::asio::awaitable<void> run_session<plain_stream>(plain_stream&,
                                                                       server_context&,
                                                                       const router&,
                                                                       session_handle&);
extern template boost::asio::awaitable<void> run_session<tls_stream>(tls_stream&, server_context&,
                                                                     const router&,
                                                                     session_handle&);

}  // namespace vrnum::detail
