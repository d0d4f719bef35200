#include "http/server.hpp"

#include <list>
#include <optional>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/logger.h>

#include "http/session.hpp"
#include "log/json_log.hpp"

namespace vrnum::detail {
namespace net = boost::asio;
namespace beast = boost::beast;
using tcp = net::ip::tcp;

namespace {

constexpr auto tuple_awaitable = net::as_tuple(net::use_awaitable);

net::ssl::context make_tls_context(const tls_config& tls) {
    net::ssl::context ctx(net::ssl::context::tls_server);
    ctx.set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                    net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 |
                    net::ssl::context::no_tlsv1_1 | net::ssl::context::single_dh_use);
    boost::system::error_code ec;
    ctx.use_certificate_chain_file(tls.cert_file.string(), ec);
    if (ec) {
        throw std::runtime_error("cannot load server.tls.cert_file " + tls.cert_file.string() +
                                 ": " + ec.message());
    }
    ctx.use_private_key_file(tls.key_file.string(), net::ssl::context::pem, ec);
    if (ec) {
        throw std::runtime_error("cannot load server.tls.key_file " + tls.key_file.string() + ": " +
                                 ec.message());
    }
    return ctx;
}

std::string to_string(const tcp::endpoint& ep) {
    auto a = ep.address();
    return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" +
           std::to_string(ep.port());
}

}  // namespace

std::pair<std::string, unsigned short> split_host_port(const std::string& address) {
    auto colon = address.rfind(':');
    if (colon == std::string::npos || colon + 1 == address.size()) {
        throw std::invalid_argument("expected HOST:PORT, got \"" + address + "\"");
    }
    std::string host = address.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    if (host == "localhost") {
        host = "127.0.0.1";
    }
    unsigned long port = 0;
    try {
        std::size_t used = 0;
        port = std::stoul(address.substr(colon + 1), &used);
        if (used != address.size() - colon - 1 || port > 65535) {
            throw std::invalid_argument("port");
        }
    } catch (const std::exception&) {
        throw std::invalid_argument("bad port in \"" + address + "\"");
    }
    return {host, static_cast<unsigned short>(port)};
}

struct http_server::impl : std::enable_shared_from_this<impl> {
    struct listener {
        tcp::acceptor acceptor;
        std::shared_ptr<const router> routes;
        bool admin;
    };

    impl(net::io_context& i, const server_config& cfg, std::shared_ptr<spdlog::logger> log,
         std::shared_ptr<prometheus::Registry> reg, std::vector<net::io_context*> w)
        : ioc(i),
          workers(std::move(w)),
          ctx(cfg, std::move(log), std::move(reg)),
          control(net::make_strand(i)),
          grace_timer(control) {
        if (cfg.tls.enabled()) {
            tls.emplace(make_tls_context(cfg.tls));
        }
    }

    net::awaitable<void> accept_loop(listener& l);
    net::any_io_executor next_executor();
    void spawn(tcp::socket sock, std::shared_ptr<const router> routes);
    void session_done(const std::shared_ptr<session_handle>& h, std::exception_ptr e);
    void fire_done();
    void close_acceptors();

    net::io_context& ioc;
    const std::vector<net::io_context*> workers;
    std::atomic<std::size_t> next_worker{0};
    server_context ctx;
    std::optional<net::ssl::context> tls;
    std::list<listener> listeners;
    net::strand<net::io_context::executor_type> control;  // shutdown state lives here
    net::steady_timer grace_timer;
    std::function<void()> done;
    std::atomic<bool> done_fired{false};
};

namespace {

// Free functions, not lambdas: a coroutine lambda's captures die with the lambda object.
net::awaitable<void> plain_session(tcp::socket sock, std::shared_ptr<const router> routes,
                                   server_context& ctx, std::shared_ptr<session_handle> h) {
    plain_stream stream(std::move(sock));
    co_await run_session(stream, ctx, *routes, *h);
}

net::awaitable<void> tls_session(tcp::socket sock, std::shared_ptr<const router> routes,
                                 server_context& ctx, net::ssl::context& tls,
                                 std::shared_ptr<session_handle> h) {
    tls_stream stream(std::move(sock), tls);
    co_await run_session(stream, ctx, *routes, *h);
}

}  // namespace

// A connection's handlers never run concurrently: on a single-threaded worker by
// construction, on the shared io_context through a strand.
net::any_io_executor http_server::impl::next_executor() {
    if (workers.empty()) {
        return net::make_strand(ioc);
    }
    return workers[next_worker.fetch_add(1, std::memory_order_relaxed) % workers.size()]
        ->get_executor();
}

net::awaitable<void> http_server::impl::accept_loop(listener& l) {
    auto self = shared_from_this();
    for (;;) {
        tcp::socket sock(next_executor());
        auto [ec] = co_await l.acceptor.async_accept(sock, tuple_awaitable);
        if (ec == net::error::operation_aborted || !l.acceptor.is_open() || ctx.draining) {
            co_return;
        }
        if (ec) {
            // Out of descriptors or a connection reset before accept: back off briefly.
            log_event(ctx.log, spdlog::level::warn, "accept failed", {{"error", ec.message()}});
            net::steady_timer t(l.acceptor.get_executor(), std::chrono::milliseconds(50));
            co_await t.async_wait(tuple_awaitable);
            continue;
        }
        if (!l.admin && ctx.open.load() >= ctx.cfg.max_connections) {
            ctx.metrics.connection_refused();
            beast::error_code ignored;
            sock.close(ignored);
            continue;
        }
        spawn(std::move(sock), l.routes);
    }
}

void http_server::impl::spawn(tcp::socket sock, std::shared_ptr<const router> routes) {
    auto h = std::make_shared<session_handle>();
    h->executor = sock.get_executor();
    ++ctx.open;
    ctx.add(h);
    ctx.metrics.connection_opened();
    auto on_done = [self = shared_from_this(), h](std::exception_ptr e) {
        self->session_done(h, e);
    };
    auto ex = sock.get_executor();
    if (tls) {
        net::co_spawn(ex, tls_session(std::move(sock), std::move(routes), ctx, *tls, h), on_done);
    } else {
        net::co_spawn(ex, plain_session(std::move(sock), std::move(routes), ctx, h), on_done);
    }
}

void http_server::impl::session_done(const std::shared_ptr<session_handle>& h,
                                     std::exception_ptr e) {
    // The one place a session's exception is caught (DESIGN §3.1).
    if (e) {
        std::string what = "unknown exception";
        try {
            std::rethrow_exception(e);
        } catch (const std::exception& ex) {
            what = ex.what();
        } catch (...) {
        }
        log_event(ctx.log, spdlog::level::err, "session failed", {{"error", what}});
    }
    ctx.metrics.connection_closed();
    ctx.remove(h);
    if (--ctx.open == 0 && ctx.draining) {
        fire_done();
    }
}

void http_server::impl::fire_done() {
    if (done_fired.exchange(true)) {
        return;
    }
    net::post(control, [self = shared_from_this()] {
        self->grace_timer.cancel();
        // Called once, then released: it may hold what owns the io_context.
        if (auto done = std::exchange(self->done, nullptr)) {
            done();
        }
    });
}

void http_server::impl::close_acceptors() {
    for (auto& l : listeners) {
        // Weak: a handler queued on an io_context that no longer runs must not keep the
        // server (and what its callbacks hold) alive.
        net::post(l.acceptor.get_executor(), [weak = weak_from_this(), &l] {
            if (auto self = weak.lock()) {
                beast::error_code ignored;
                l.acceptor.close(ignored);
            }
        });
    }
}

http_server::http_server(net::io_context& ioc, const server_config& cfg,
                         std::shared_ptr<spdlog::logger> log,
                         std::shared_ptr<prometheus::Registry> registry,
                         std::vector<net::io_context*> workers)
    : impl_(std::make_shared<impl>(ioc, cfg, std::move(log), std::move(registry),
                                   std::move(workers))) {}

// The accept loops hold the impl alive; without this they would go on accepting after the
// owner is gone. Sessions still open keep what they use (config, logger, metrics) alive.
http_server::~http_server() {
    impl_->ctx.draining = true;
    impl_->close_acceptors();
}

std::string http_server::listen(const std::string& address, std::shared_ptr<const router> routes,
                                bool admin) {
    auto [host, port] = split_host_port(address);
    tcp::endpoint ep(net::ip::make_address(host), port);
    tcp::acceptor acceptor(net::make_strand(impl_->ioc));
    acceptor.open(ep.protocol());
    acceptor.set_option(net::socket_base::reuse_address(true));
    acceptor.bind(ep);
    acceptor.listen(net::socket_base::max_listen_connections);
    std::string bound = to_string(acceptor.local_endpoint());
    impl_->listeners.push_back({std::move(acceptor), std::move(routes), admin});
    return bound;
}

void http_server::start() {
    for (auto& l : impl_->listeners) {
        net::co_spawn(l.acceptor.get_executor(), impl_->accept_loop(l), net::detached);
    }
}

void http_server::shutdown(std::chrono::seconds grace, std::function<void()> done) {
    auto self = impl_;
    net::post(self->control, [self, grace, done = std::move(done)]() mutable {
        self->done = std::move(done);
        self->ctx.draining = true;
        self->close_acceptors();
        self->ctx.stop_all(false);
        if (self->ctx.open.load() == 0) {
            self->fire_done();
            return;
        }
        self->grace_timer.expires_after(grace);
        self->grace_timer.async_wait([self](beast::error_code ec) {
            if (!ec) {
                self->ctx.stop_all(true);
            }
        });
    });
}

std::size_t http_server::open_connections() const {
    return impl_->ctx.open.load();
}

}  // namespace vrnum::detail
