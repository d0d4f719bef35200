#pragma once
// The operator's mail subcommands: queue a test mail, and see the outbox's state.

#include <iosfwd>
#include <string>

#include "config/daemon_config.hpp"

namespace vrnumd {

/// `vrnumd mail test --to ADDRESS`: queues the `test_message` template to ADDRESS; the
/// running daemon sends it. Exit 2 for an invalid address.
int run_mail_test(const daemon_config& cfg, const std::string& to, std::ostream& out,
                  std::ostream& err);
/// `vrnumd mail status`: how many mails are queued, sent and dead, and the dead ones'
/// reasons (never an address or a body).
int run_mail_status(const daemon_config& cfg, std::ostream& out);

}  // namespace vrnumd
