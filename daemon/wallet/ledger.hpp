#pragma once
/// \file
/// The ledger (component `wallet`): money as integer minor units (USD cents) in double-entry
/// transactions whose postings sum to zero, append-only. Every customer wallet and every
/// system account (what Cryptomus paid in, revenue, operator adjustments) is a ledger account
/// whose `balance_minor` caches the sum of its postings; a wallet's balance is checked inside
/// the write transaction before it is debited and a `CHECK (balance_minor >= 0)` backs that
/// up, so neither concurrent requests (one writer) nor a command in another process (SQLite's
/// `BEGIN IMMEDIATE` and busy timeout) can overspend. Functions run inside a transaction the
/// caller holds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

namespace vrnumd::wallet {

/// The component's schema migrations.
std::vector<vrnum::migration> migrations();

/// The only currency so far.
inline constexpr std::string_view currency = "USD";

/// The system accounts money comes from and goes to.
enum class system_account {
    cryptomus,    ///< crypto received: credited to wallets by paid top-ups
    revenue,      ///< what rentals and renewals earned
    adjustments,  ///< the operator's refunds and disputes
};

/// One side of a transaction: a ledger account and a signed amount (credit > 0).
struct posting {
    std::int64_t ledger_account = 0;
    std::int64_t amount_minor = 0;
};

/// The ledger account of customer `account_id`'s wallet, made on first use.
std::int64_t wallet_account(vrnum::write_txn& txn, std::int64_t account_id);
/// The ledger account of a system account.
std::int64_t system_ledger_account(vrnum::write_txn& txn, system_account which);

/// What a transaction is, as the customer's list shows it.
enum class entry_kind { topup, purchase, renewal, refund, adjustment };
/// `topup`, `purchase`, ...
std::string_view entry_kind_name(entry_kind k);

/// Records a transaction of `kind` with `postings` (they must sum to zero and name distinct
/// accounts; std::invalid_argument otherwise) and returns its id. Throws
/// `boost::system::system_error(errc::insufficient_funds)` when a wallet would go below zero:
/// the caller's write then rolls back whole.
std::int64_t post(vrnum::write_txn& txn, entry_kind kind, std::string_view reference,
                  const std::vector<posting>& postings, vrnum::unix_ms now,
                  std::string_view note = {});

/// A customer's balance (0 for an account that never had a wallet).
std::int64_t balance(vrnum::read_txn& txn, std::int64_t account_id);

/// One transaction as the customer's wallet sees it.
struct wallet_entry {
    std::int64_t id = 0;
    entry_kind kind = entry_kind::topup;
    std::int64_t amount_minor = 0;  ///< signed: credit > 0
    vrnum::unix_ms created_at = 0;
    std::string reference;
};
/// The wallet's transactions, newest first, with ids below `before` (0 = from the newest),
/// at most `limit`.
std::vector<wallet_entry> wallet_entries(vrnum::read_txn& txn, std::int64_t account_id,
                                         std::int64_t before, std::size_t limit);

/// What `audit` found.
struct ledger_audit {
    std::int64_t transactions = 0;
    std::int64_t unbalanced_transactions = 0;  ///< postings not summing to zero
    std::int64_t stale_balances = 0;           ///< cached balance != sum of postings
    std::int64_t negative_wallets = 0;
    std::int64_t total_minor = 0;  ///< sum of every posting: 0 in a sound ledger
    bool sound() const noexcept {
        return unbalanced_transactions == 0 && stale_balances == 0 && negative_wallets == 0 &&
               total_minor == 0;
    }
};
/// Checks every transaction and every cached balance against the postings.
ledger_audit audit(vrnum::read_txn& txn);

/// Erasure: the wallet stays in the books without its owner (`account_id` cleared), so the
/// ledger still balances and the account's money history is kept `transaction_years`.
void pseudonymise_wallet(vrnum::write_txn& txn, std::int64_t account_id);

}  // namespace vrnumd::wallet
