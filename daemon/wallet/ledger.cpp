#include "wallet/ledger.hpp"

#include <set>
#include <stdexcept>

#include <boost/system/system_error.hpp>

#include <vrnum/error.hpp>

namespace vrnumd::wallet {
namespace {

std::string_view system_kind(system_account a) {
    switch (a) {
        case system_account::cryptomus:
            return "cryptomus";
        case system_account::revenue:
            return "revenue";
        case system_account::adjustments:
            return "adjustments";
    }
    return "";
}

entry_kind parse_kind(std::string_view s) {
    for (auto k : {entry_kind::topup, entry_kind::purchase, entry_kind::renewal, entry_kind::refund,
                   entry_kind::adjustment}) {
        if (entry_kind_name(k) == s) {
            return k;
        }
    }
    throw std::runtime_error("ledger: unknown transaction kind " + std::string(s));
}

}  // namespace

std::vector<vrnum::migration> migrations() {
    // ledger_accounts.account_id: the wallet's owner (NULL for system accounts and for the
    // wallets of erased accounts). Postings are append-only: a correction is a new
    // transaction. Deleting is left to the retention purge (transaction_years).
    return {{"wallet", 1, R"(
CREATE TABLE ledger_accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('wallet', 'cryptomus', 'revenue', 'adjustments')),
  account_id INTEGER UNIQUE,
  currency TEXT NOT NULL DEFAULT 'USD',
  balance_minor INTEGER NOT NULL DEFAULT 0,
  CHECK (kind <> 'wallet' OR balance_minor >= 0)
);
CREATE UNIQUE INDEX ledger_accounts_system ON ledger_accounts(kind) WHERE kind <> 'wallet';
CREATE TABLE ledger_transactions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('topup', 'purchase', 'renewal', 'refund', 'adjustment')),
  reference TEXT NOT NULL DEFAULT '',
  note TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL
);
CREATE TABLE ledger_postings (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  transaction_id INTEGER NOT NULL REFERENCES ledger_transactions(id),
  ledger_account_id INTEGER NOT NULL REFERENCES ledger_accounts(id),
  amount_minor INTEGER NOT NULL CHECK (amount_minor <> 0)
);
CREATE INDEX ledger_postings_account ON ledger_postings(ledger_account_id, transaction_id);
CREATE TRIGGER ledger_postings_append_only BEFORE UPDATE ON ledger_postings
BEGIN SELECT RAISE(ABORT, 'ledger postings are append-only'); END;
CREATE TRIGGER ledger_transactions_append_only BEFORE UPDATE ON ledger_transactions
BEGIN SELECT RAISE(ABORT, 'ledger transactions are append-only'); END;
)"},
            // A paid invoice is credited by one transaction at most, whatever else goes
            // wrong above the books.
            {"wallet", 2, R"(
CREATE UNIQUE INDEX ledger_one_topup_per_invoice ON ledger_transactions(reference)
  WHERE kind = 'topup';
)"}};
}

std::string_view entry_kind_name(entry_kind k) {
    switch (k) {
        case entry_kind::topup:
            return "topup";
        case entry_kind::purchase:
            return "purchase";
        case entry_kind::renewal:
            return "renewal";
        case entry_kind::refund:
            return "refund";
        case entry_kind::adjustment:
            return "adjustment";
    }
    return "";
}

std::int64_t wallet_account(vrnum::write_txn& txn, std::int64_t account_id) {
    txn.exec(
        "INSERT INTO ledger_accounts (kind, account_id) VALUES ('wallet', ?1) "
        "ON CONFLICT (account_id) DO NOTHING",
        {account_id});
    std::int64_t id = 0;
    txn.query("SELECT id FROM ledger_accounts WHERE account_id = ?1", {account_id},
              [&](const vrnum::sql_row& r) { id = r.get_int(0); });
    return id;
}

std::int64_t system_ledger_account(vrnum::write_txn& txn, system_account which) {
    txn.exec("INSERT INTO ledger_accounts (kind) VALUES (?1) ON CONFLICT DO NOTHING",
             {system_kind(which)});
    std::int64_t id = 0;
    txn.query("SELECT id FROM ledger_accounts WHERE kind = ?1", {system_kind(which)},
              [&](const vrnum::sql_row& r) { id = r.get_int(0); });
    return id;
}

std::int64_t post(vrnum::write_txn& txn, entry_kind kind, std::string_view reference,
                  const std::vector<posting>& postings, vrnum::unix_ms now, std::string_view note) {
    std::int64_t sum = 0;
    std::set<std::int64_t> seen;
    for (const auto& p : postings) {
        if (p.amount_minor == 0 || !seen.insert(p.ledger_account).second) {
            throw std::invalid_argument("ledger: a zero or repeated posting");
        }
        sum += p.amount_minor;
    }
    if (postings.size() < 2 || sum != 0) {
        throw std::invalid_argument("ledger: postings must balance");
    }
    // Debits first, each checked against the balance inside this transaction: the CHECK
    // constraint would refuse too, but as a store failure rather than the customer's 402.
    for (const auto& p : postings) {
        std::string kind_of;
        std::int64_t bal = 0;
        txn.query("SELECT kind, balance_minor FROM ledger_accounts WHERE id = ?1",
                  {p.ledger_account}, [&](const vrnum::sql_row& r) {
                      kind_of = r.get_text(0);
                      bal = r.get_int(1);
                  });
        if (kind_of.empty()) {
            throw std::invalid_argument("ledger: no such ledger account");
        }
        if (kind_of == "wallet" && bal + p.amount_minor < 0) {
            throw boost::system::system_error(make_error_code(vrnum::errc::insufficient_funds));
        }
    }
    // Copies: a default string_view has no data and would bind as NULL.
    const std::string ref(reference), text(note);
    txn.exec(
        "INSERT INTO ledger_transactions (kind, reference, note, created_at) "
        "VALUES (?1, ?2, ?3, ?4)",
        {entry_kind_name(kind), std::string_view(ref), std::string_view(text), now});
    std::int64_t id = txn.last_insert_id();
    for (const auto& p : postings) {
        txn.exec(
            "INSERT INTO ledger_postings (transaction_id, ledger_account_id, amount_minor) "
            "VALUES (?1, ?2, ?3)",
            {id, p.ledger_account, p.amount_minor});
        txn.exec("UPDATE ledger_accounts SET balance_minor = balance_minor + ?1 WHERE id = ?2",
                 {p.amount_minor, p.ledger_account});
    }
    return id;
}

std::int64_t balance(vrnum::read_txn& txn, std::int64_t account_id) {
    std::int64_t b = 0;
    txn.query("SELECT balance_minor FROM ledger_accounts WHERE account_id = ?1", {account_id},
              [&](const vrnum::sql_row& r) { b = r.get_int(0); });
    return b;
}

std::vector<wallet_entry> wallet_entries(vrnum::read_txn& txn, std::int64_t account_id,
                                         std::int64_t before, std::size_t limit) {
    std::vector<wallet_entry> out;
    txn.query(
        "SELECT t.id, t.kind, p.amount_minor, t.created_at, t.reference "
        "FROM ledger_postings p JOIN ledger_transactions t ON t.id = p.transaction_id "
        "JOIN ledger_accounts a ON a.id = p.ledger_account_id "
        "WHERE a.account_id = ?1 AND (?2 = 0 OR t.id < ?2) ORDER BY t.id DESC LIMIT ?3",
        {account_id, before, static_cast<std::int64_t>(limit)}, [&](const vrnum::sql_row& r) {
            out.push_back({r.get_int(0), parse_kind(r.get_text(1)), r.get_int(2), r.get_int(3),
                           r.get_text(4)});
        });
    return out;
}

ledger_audit audit(vrnum::read_txn& txn) {
    ledger_audit a;
    txn.query("SELECT count(*) FROM ledger_transactions", {},
              [&](const vrnum::sql_row& r) { a.transactions = r.get_int(0); });
    txn.query(
        "SELECT count(*) FROM (SELECT transaction_id FROM ledger_postings "
        "GROUP BY transaction_id HAVING sum(amount_minor) <> 0)",
        {}, [&](const vrnum::sql_row& r) { a.unbalanced_transactions = r.get_int(0); });
    txn.query(
        "SELECT count(*) FROM ledger_accounts l WHERE l.balance_minor <> "
        "(SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings p "
        "WHERE p.ledger_account_id = l.id)",
        {}, [&](const vrnum::sql_row& r) { a.stale_balances = r.get_int(0); });
    txn.query("SELECT count(*) FROM ledger_accounts WHERE kind = 'wallet' AND balance_minor < 0",
              {}, [&](const vrnum::sql_row& r) { a.negative_wallets = r.get_int(0); });
    txn.query("SELECT coalesce(sum(amount_minor), 0) FROM ledger_postings", {},
              [&](const vrnum::sql_row& r) { a.total_minor = r.get_int(0); });
    return a;
}

void pseudonymise_wallet(vrnum::write_txn& txn, std::int64_t account_id) {
    txn.exec("UPDATE ledger_accounts SET account_id = NULL WHERE account_id = ?1", {account_id});
}

}  // namespace vrnumd::wallet
