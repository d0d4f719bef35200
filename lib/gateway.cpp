#include <atomic>

#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/error.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/log.hpp>

#include "http/router.hpp"
#include "http/server.hpp"
#include "log/json_log.hpp"
#include "metrics/metrics.hpp"

namespace vrnum {
namespace net = boost::asio;

struct gateway::impl {
    impl(net::io_context& i, config c, gateway_options o)
        : ioc(i),
          cfg(std::move(c)),
          log(o.logger ? std::move(o.logger) : make_logger(cfg.log, 90)),
          registry(o.registry ? std::move(o.registry) : std::make_shared<prometheus::Registry>()),
          server(i, cfg.server, log, registry) {}

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

    net::io_context& ioc;
    config cfg;
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<prometheus::Registry> registry;
    detail::http_server server;
    std::shared_ptr<detail::router> main_routes = std::make_shared<detail::router>();
    std::string listen_address;
    std::string admin_address;
    std::atomic<bool> ready{false};
    bool started = false;
};

gateway::gateway(net::io_context& ioc, config cfg, gateway_options opts)
    : impl_(std::make_unique<impl>(ioc, std::move(cfg), std::move(opts))) {
    impl_->main_routes->add(impl::healthz());
    if (impl_->cfg.server.admin_listen.empty()) {
        impl_->main_routes->add(impl_->readyz());
        impl_->main_routes->add(impl_->metrics());
    }
}

gateway::~gateway() = default;

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
    impl_->server.start();
    detail::log_event(*impl_->log, spdlog::level::info, "listening",
                      {{"address", impl_->listen_address},
                       {"admin_address", impl_->admin_address},
                       {"tls", s.tls.enabled()}});
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

void gateway::async_shutdown(std::function<void()> done, std::chrono::seconds grace) {
    impl_->ready = false;
    detail::log_event(*impl_->log, spdlog::level::info, "draining",
                      {{"open_connections", impl_->server.open_connections()}});
    impl_->server.shutdown(grace, [this, done = std::move(done)] {
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
