#pragma once
// An in-process gateway on 127.0.0.1:0 with its log captured, for loopback tests.

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <vrnum/config.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/http.hpp>

#include "support/temp_dir.hpp"

namespace vrnum::test {

class running_gateway {
  public:
    /// How the two I/O threads serve connections.
    enum class threading {
        shared,      ///< both run the gateway's io_context (connections on strands)
        per_thread,  ///< each runs an io_context of its own (`gateway_options::io_contexts`)
    };
    /// Starts a gateway with `cfg` (its listen addresses forced to port 0 on loopback unless
    /// `keep_listen`, a relative store path moved into a temporary directory) plus `routes`,
    /// served by two I/O threads.
    explicit running_gateway(config cfg, std::vector<http::route> routes = {},
                             bool keep_listen = false, threading model = threading::shared);
    /// Drains it (if not yet done) and joins the threads.
    ~running_gateway();

    const std::string& address() const { return gw_->listen_address(); }
    const std::string& admin_address() const { return gw_->admin_address(); }
    gateway& gw() { return *gw_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    /// Starts a drain; returns at once. `drained()` tells when it is over.
    void begin_shutdown();
    /// Waits (at most `timeout`) for the drain to finish.
    bool wait_drained(std::chrono::milliseconds timeout);
    /// Every log line written so far.
    std::vector<std::string> log_lines() const;

  private:
    struct state;
    std::shared_ptr<state> state_;
    temp_dir dir_;  // the store's file and key
    std::unique_ptr<gateway> gw_;
    std::vector<std::thread> threads_;
};

/// A config with the library defaults, logging nowhere on disk.
config test_config();

}  // namespace vrnum::test
