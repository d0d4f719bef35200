#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/error.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/log.hpp>
#include <vrnum/source.hpp>

#include "http/router.hpp"
#include "http/server.hpp"
#include "ingest/ingest.hpp"
#include "log/json_log.hpp"
#include "metrics/metrics.hpp"

namespace vrnum {
namespace net = boost::asio;

namespace {

std::vector<std::unique_ptr<source>> make_sources(const config& cfg) {
    std::vector<std::unique_ptr<source>> out;
    for (const auto& s : cfg.sources) {
        out.push_back(make_source(s));
    }
    return out;
}

unix_ms now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// How often expired multipart groups are joined: a quarter of the shortest timeout, so that a
// partial message is at most that late, within [250 ms, 60 s].
std::chrono::milliseconds multipart_sweep_interval(const config& cfg) {
    using std::chrono::milliseconds;
    milliseconds interval(60'000);
    for (const auto& s : cfg.sources) {
        interval =
            std::min(interval, milliseconds(std::int64_t{s.multipart_timeout_seconds} * 250));
    }
    return std::max(interval, milliseconds(250));
}

}  // namespace

struct gateway::impl {
    impl(net::io_context& i, config c, gateway_options o)
        : ioc(i),
          cfg(std::move(c)),
          opts(std::move(o)),
          log(opts.logger ? opts.logger : make_logger(cfg.log, 90)),
          registry(opts.registry ? opts.registry : std::make_shared<prometheus::Registry>()),
          server(i, cfg.server, log, registry, opts.io_contexts),
          messages(store::open(cfg.store, {log, registry, opts.migrations, opts.sealed})) {}

    http::route readyz() {
        return {"GET", "/readyz", [this](http::request&) -> net::awaitable<http::response> {
                    if (ready.load()) {
                        co_return http::json_response(200, R"({"status":"ready"})");
                    }
                    auto r = http::error_response(errc::unavailable, "starting");
                    r.set("Retry-After", "1");
                    co_return r;
                }};
    }
    http::route metrics() {
        return {"GET", "/metrics", [this](http::request&) -> net::awaitable<http::response> {
                    http::response r;
                    r.body = detail::serialize_metrics(*registry);
                    r.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
                    co_return r;
                }};
    }
    static http::route healthz() {
        return {"GET", "/healthz", [](http::request&) -> net::awaitable<http::response> {
                    co_return http::json_response(200, R"({"status":"ok"})");
                }};
    }

    // Retention runs on a thread of its own: purges block on the writer's commits.
    void purge_loop(std::stop_token stop) {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        while (!stop.stop_requested()) {
            try {
                std::size_t n = purge();
                if (n > 0) {
                    detail::log_event(*log, spdlog::level::info, "retention purge",
                                      {{"messages", n}});
                }
            } catch (const std::exception& e) {
                detail::log_event(*log, spdlog::level::err, "retention purge failed",
                                  {{"error", e.what()}});
            }
            cv.wait_for(lock, stop, std::chrono::hours(1), [] { return false; });
        }
    }
    std::size_t purge() {
        unix_ms cutoff = now_ms() - static_cast<unix_ms>(opts.sms_retention_days) * 86'400'000;
        return messages->purge_before(cutoff);
    }

    // Multipart groups past their deadline become partial messages; on a thread of its own as
    // the purge is, from start-up on (groups that expired while the process was down first).
    void sweep_loop(std::stop_token stop) {
        const auto interval = multipart_sweep_interval(cfg);
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        // A store that keeps failing is reported once a minute, not at every sweep.
        std::optional<std::chrono::steady_clock::time_point> last_failure_logged;
        while (!stop.stop_requested()) {
            try {
                std::size_t n = messages->join_expired_parts(now_ms());
                if (n > 0) {
                    detail::log_event(*log, spdlog::level::info, "multipart timeout",
                                      {{"partial_messages", n}});
                }
                last_failure_logged.reset();
            } catch (const std::exception& e) {
                const auto now = std::chrono::steady_clock::now();
                if (!last_failure_logged || now - *last_failure_logged >= std::chrono::minutes(1)) {
                    detail::log_event(*log, spdlog::level::err, "multipart sweep failed",
                                      {{"error", e.what()}});
                    last_failure_logged = now;
                }
            }
            cv.wait_for(lock, stop, interval, [] { return false; });
        }
    }
    void stop_sweeper() {
        if (sweeper.joinable()) {
            sweeper.request_stop();
            sweeper.join();
        }
    }

    net::io_context& ioc;
    config cfg;
    gateway_options opts;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<prometheus::Registry> registry;
    detail::http_server server;
    std::shared_ptr<store> messages;
    std::unique_ptr<detail::ingest> webhooks;
    std::shared_ptr<detail::router> main_routes = std::make_shared<detail::router>();
    std::string listen_address;
    std::string admin_address;
    std::atomic<bool> ready{false};
    bool started = false;
    std::jthread purger;
    std::jthread sweeper;
};

gateway::gateway(net::io_context& ioc, config cfg, gateway_options opts)
    : impl_(std::make_unique<impl>(ioc, std::move(cfg), std::move(opts))) {
    impl_->webhooks = std::make_unique<detail::ingest>(make_sources(impl_->cfg), impl_->messages,
                                                       impl_->log, *impl_->registry);
    impl_->main_routes->add(impl::healthz());
    if (impl_->cfg.server.admin_listen.empty()) {
        impl_->main_routes->add(impl_->readyz());
        impl_->main_routes->add(impl_->metrics());
    }
    for (auto& r : impl_->webhooks->routes()) {
        impl_->main_routes->add(std::move(r));
    }
}

gateway::~gateway() {
    impl_->stop_sweeper();
    if (impl_->purger.joinable()) {
        impl_->purger.request_stop();
        impl_->purger.join();
    }
    impl_->messages->close();
}

void gateway::add_routes(std::vector<http::route> routes) {
    if (impl_->started) {
        throw std::logic_error("gateway::add_routes after start()");
    }
    for (auto& r : routes) {
        impl_->main_routes->add(std::move(r));
    }
}

void gateway::start() {
    impl_->started = true;
    const auto& s = impl_->cfg.server;
    impl_->listen_address = impl_->server.listen(s.listen, impl_->main_routes);
    if (!s.admin_listen.empty()) {
        auto admin = std::make_shared<detail::router>();
        admin->add(impl::healthz());
        admin->add(impl_->readyz());
        admin->add(impl_->metrics());
        impl_->admin_address = impl_->server.listen(s.admin_listen, admin, true);
    }
    impl_->webhooks->set_base_url(public_base_url());
    impl_->server.start();
    impl_->purger = std::jthread([this](std::stop_token st) { impl_->purge_loop(st); });
    impl_->sweeper = std::jthread([this](std::stop_token st) { impl_->sweep_loop(st); });
    detail::log_event(*impl_->log, spdlog::level::info, "listening",
                      {{"address", impl_->listen_address},
                       {"admin_address", impl_->admin_address},
                       {"tls", s.tls.enabled()},
                       {"sources", impl_->cfg.sources.size()}});
}

const std::string& gateway::listen_address() const {
    return impl_->listen_address;
}
const std::string& gateway::admin_address() const {
    return impl_->admin_address;
}

std::string gateway::public_base_url() const {
    const auto& s = impl_->cfg.server;
    if (!s.public_base_url.empty()) {
        return s.public_base_url;
    }
    return (s.tls.enabled() ? "https://" : "http://") +
           (impl_->listen_address.empty() ? s.listen : impl_->listen_address);
}

std::vector<std::pair<std::string, std::string>> gateway::routes() const {
    return impl_->main_routes->list();
}

void gateway::set_ready(bool ready) {
    impl_->ready = ready;
}

void gateway::on_message(std::function<void(const stored_message&)> cb) {
    impl_->messages->on_commit(
        [ex = impl_->ioc.get_executor(), cb = std::move(cb)](const std::vector<stored_message>& b) {
            for (const auto& m : b) {
                net::post(ex, [cb, m] { cb(m); });
            }
        });
}

std::vector<stored_message> gateway::messages_after(std::int64_t cursor, std::size_t limit) const {
    return impl_->messages->messages_after(cursor, limit);
}

net::awaitable<http::response> gateway::handle(http::request& req) {
    std::vector<std::string> segments;
    if (!detail::split_target(req.target, segments)) {
        co_return http::error_response(errc::malformed, "bad request target");
    }
    auto match = impl_->main_routes->find(req.method, segments);
    if (match.kind == detail::route_match::not_found) {
        co_return http::error_response(errc::not_found, "no such resource");
    }
    if (match.kind == detail::route_match::method_not_allowed) {
        auto r = http::error_response(errc::method_not_allowed, "method not allowed");
        r.set("Allow", match.allow);
        co_return r;
    }
    req.params = std::move(match.params);
    req.route = match.route->pattern;
    co_return co_await match.route->fn(req);
}

std::size_t gateway::purge_expired() {
    return impl_->purge();
}

store& gateway::message_store() const {
    return *impl_->messages;
}

void gateway::async_shutdown(std::function<void()> done, std::chrono::seconds grace) {
    impl_->ready = false;
    detail::log_event(*impl_->log, spdlog::level::info, "draining",
                      {{"open_connections", impl_->server.open_connections()}});
    impl_->server.shutdown(grace, [this, done = std::move(done)] {
        // Connections are closed: commit what is queued, then stop the writer (the sweep
        // first, which would only fail against a closed store).
        impl_->stop_sweeper();
        impl_->messages->close();
        detail::log_event(*impl_->log, spdlog::level::info, "drained");
        impl_->log->flush();
        if (done) {
            done();
        }
    });
}

const config& gateway::cfg() const {
    return impl_->cfg;
}
spdlog::logger& gateway::logger() const {
    return *impl_->log;
}
prometheus::Registry& gateway::registry() const {
    return *impl_->registry;
}

}  // namespace vrnum
