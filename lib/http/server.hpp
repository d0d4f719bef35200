#pragma once
// The HTTP(S) server: listeners, the connection cap, graceful drain. Owned by the gateway;
// its public functions are called from one thread (start-up and shutdown).

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vrnum/config.hpp>

namespace boost::asio {
class io_context;
}
namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace vrnum::detail {

class router;

class http_server {
  public:
    /// Connections run on `ioc`, each on a strand, or, when `workers` is not empty, on the
    /// workers in turn, each of which is run by one thread (no strand).
    http_server(boost::asio::io_context& ioc, const server_config& cfg,
                std::shared_ptr<spdlog::logger> log, std::shared_ptr<prometheus::Registry> registry,
                std::vector<boost::asio::io_context*> workers = {});
    /// Stops accepting (without draining) if `shutdown` was not called.
    ~http_server();
    http_server(const http_server&) = delete;
    http_server& operator=(const http_server&) = delete;

    /// Binds `address` (HOST:PORT; port 0 = ephemeral) serving `routes`, with TLS when
    /// configured; returns the bound HOST:PORT. Throws std::system_error when it cannot bind.
    /// An `admin` listener is exempt from `max_connections`, so that a flood of clients on
    /// the public port cannot hide /readyz and /metrics.
    std::string listen(const std::string& address, std::shared_ptr<const router> routes,
                       bool admin = false);
    /// Starts accepting on every listener.
    void start();
    /// Stops accepting, lets in-flight requests finish (closing idle connections at once),
    /// then calls `done` on the io_context. After `grace`, remaining connections are closed.
    void shutdown(std::chrono::seconds grace, std::function<void()> done);
    /// Connections currently open.
    std::size_t open_connections() const;

  private:
    struct impl;
    std::shared_ptr<impl> impl_;
};

/// Parses HOST:PORT (IPv4 literal, [IPv6] literal or `localhost`); throws std::invalid_argument.
std::pair<std::string, unsigned short> split_host_port(const std::string& address);

}  // namespace vrnum::detail
