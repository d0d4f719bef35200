#pragma once
/// \file
/// The embeddable gateway: the HTTP(S) server with the webhook and operations routes, to
/// which an embedding program adds its own routes.

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vrnum/config.hpp>
#include <vrnum/http.hpp>

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace vrnum {

/// What an embedder may pass in instead of the defaults.
struct gateway_options {
    /// Where logs go; default: `make_logger(cfg.log, 90)`.
    std::shared_ptr<spdlog::logger> logger;
    /// Where metrics are registered; default: a registry of the gateway's own.
    std::shared_ptr<prometheus::Registry> registry;
};

/// Owns the server, its routes and listeners. Runs on the given io_context, whose threads
/// the caller provides. Construct, add routes, `start()`, later `async_shutdown()`; these
/// calls come from one thread. Handlers run on the io_context's threads.
class gateway {
  public:
    /// Throws config_error or std::runtime_error (e.g. unreadable TLS files).
    gateway(boost::asio::io_context& ioc, config cfg, gateway_options opts = {});
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    /// Adds routes to the main listener; before `start()` only. Throws std::invalid_argument
    /// for a duplicate or malformed route.
    void add_routes(std::vector<http::route> routes);
    /// Binds the listeners and starts accepting; throws std::system_error if a bind fails.
    void start();
    /// The main listener's bound HOST:PORT (after `start()`).
    const std::string& listen_address() const;
    /// The admin listener's bound HOST:PORT, or empty when it shares the main one.
    const std::string& admin_address() const;
    /// The base URL providers and mail links use (`server.public_base_url` or derived).
    std::string public_base_url() const;
    /// Every (method, pattern) served on the main listener.
    std::vector<std::pair<std::string, std::string>> routes() const;

    /// Marks the gateway ready (or not) for `/readyz`.
    void set_ready(bool ready);
    /// Stops accepting, finishes in-flight requests, then calls `done` on the io_context.
    /// Connections still open after `grace` are closed.
    void async_shutdown(std::function<void()> done,
                        std::chrono::seconds grace = std::chrono::seconds(30));

    const config& cfg() const;
    spdlog::logger& logger() const;
    prometheus::Registry& registry() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vrnum
