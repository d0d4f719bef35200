#pragma once
// `vrnumd simulate`: posts correctly signed demo webhooks to a running daemon.

#include <iosfwd>
#include <string>

#include "config/daemon_config.hpp"

namespace vrnumd {

struct simulate_options {
    std::string source;  ///< a configured source id
    unsigned count = 1;
    std::string address;  ///< HOST:PORT to post to; empty = server.listen
    /// A PEM Ed25519 private key, for the kinds whose provider signs with one (telnyx,
    /// standard-webhooks with public keys only); empty = none.
    std::string signing_key;
};

/// Sends `count` demo messages as that source's provider would; prints one line each.
/// Returns 0 when every one was accepted, 1 otherwise.
int run_simulate(const daemon_config& cfg, const simulate_options& opts, std::ostream& out,
                 std::ostream& err);

}  // namespace vrnumd
