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
#include <vrnum/message.hpp>
#include <vrnum/store.hpp>

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
    /// Schema migrations of the embedding program's own tables, applied with the gateway's.
    std::vector<migration> migrations;
    /// The embedding program's sealed tables (`store::options::sealed`).
    std::vector<sealed_table> sealed;
    /// Messages older than this many days are purged (hourly, in small batches); 0 = at once.
    unsigned sms_retention_days = 30;
    /// Where connections run. Empty (the default): on the gateway's io_context, each on a
    /// strand of its own, however many threads run it. Otherwise new connections are spread
    /// round-robin over these io_contexts (the gateway's own may be one of them), each of
    /// which the caller runs on exactly one thread, so that a connection needs no strand and
    /// never hops between threads. They must run until `async_shutdown` calls `done`.
    std::vector<boost::asio::io_context*> io_contexts;
};

/// Owns the server, its routes and listeners. Runs on the given io_context, whose threads
/// the caller provides. Construct, add routes, `start()`, later `async_shutdown()`; these
/// calls come from one thread. Handlers run on the io_context's threads (or on those of
/// `gateway_options::io_contexts`).
class gateway {
  public:
    /// Opens the store (applying migrations) and builds the sources. Throws config_error or
    /// std::runtime_error (unreadable TLS files, a store that cannot be opened).
    gateway(boost::asio::io_context& ioc, config cfg, gateway_options opts = {});
    ~gateway();
    gateway(const gateway&) = delete;
    gateway& operator=(const gateway&) = delete;

    /// Adds routes to the main listener; before `start()` only. Throws std::invalid_argument
    /// for a duplicate or malformed route.
    void add_routes(std::vector<http::route> routes);
    /// Binds the listeners and starts accepting; throws std::system_error if a bind fails.
    /// Starts the gateway's jobs too, each on a thread of its own: the retention purge
    /// (hourly) and the multipart sweep, which stores as partial messages the multipart groups
    /// past their deadline (`store::join_expired_parts`) every quarter of the shortest
    /// `multipart_timeout_seconds`, within [250 ms, 60 s].
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

    /// Calls `cb` on the io_context for every message after its commit; before `start()`.
    /// At most once per message (a crash between commit and call loses the call): catch up
    /// with `messages_after` after a restart.
    void on_message(std::function<void(const stored_message&)> cb);
    /// Messages committed after `cursor` (a message id; 0 = from the start), oldest first.
    /// Blocks on the database: call it off the I/O threads.
    std::vector<stored_message> messages_after(std::int64_t cursor, std::size_t limit) const;
    /// Serves one request from an embedder's own HTTP server: routes it like the built-in
    /// server does (404, 405) and returns the answer. `req.target` must be origin-form.
    boost::asio::awaitable<http::response> handle(http::request& req);
    /// Deletes messages (and multipart parts) past the retention period now; returns how many
    /// messages went. Blocks.
    std::size_t purge_expired();
    /// The message store (shared with the daemon's modules).
    vrnum::store& message_store() const;
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
