#pragma once
// The operator's wallet commands: `vrnumd wallet adjust` (a refund or a dispute, as a ledger
// transaction, never an edit) and `vrnumd wallet audit`; and `vrnumd stats`, the business's
// aggregate figures. They work whether or not a daemon
// runs: the ledger checks the balance inside the write, under SQLite's write lock.

#include <cstdint>
#include <iosfwd>
#include <string>

#include "config/daemon_config.hpp"

namespace vrnumd {

/// `vrnumd wallet adjust EMAIL AMOUNT_MINOR --reason TEXT`.
int run_wallet_adjust(const daemon_config& cfg, const std::string& email, std::int64_t amount_minor,
                      const std::string& reason, std::ostream& out, std::ostream& err);
/// `vrnumd wallet audit`: every transaction balances, every cached balance equals its
/// postings, no wallet is negative; exit 1 otherwise.
int run_wallet_audit(const daemon_config& cfg, std::ostream& out);
/// `vrnumd stats [--days N] [--json]`: rentals and renewals per day and country over the last
/// `days` days (aggregates only: no account ids are kept for them).
int run_stats(const daemon_config& cfg, unsigned days, bool as_json, std::ostream& out);

}  // namespace vrnumd
