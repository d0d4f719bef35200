#include "cli/wallet_commands.hpp"

#include <cstdio>
#include <ostream>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>

#include <vrnum/time.hpp>

#include "accounts/account_store.hpp"
#include "cli/store_commands.hpp"
#include "mail/display.hpp"
#include "numbers/rentals.hpp"
#include "store_sync.hpp"
#include "wallet/ledger.hpp"
#include "wallet/wallet_service.hpp"

namespace vrnumd {

int run_wallet_adjust(const daemon_config& cfg, const std::string& email, std::int64_t amount_minor,
                      const std::string& reason, std::ostream& out, std::ostream& err) {
    if (amount_minor == 0) {
        err << "vrnumd: AMOUNT_MINOR: must not be 0" << std::endl;
        return 2;
    }
    if (reason.find_first_not_of(" \t") == std::string::npos) {
        err << "vrnumd: --reason: must say why" << std::endl;
        return 2;
    }
    auto log = command_logger(cfg);
    auto st = open_command_store(cfg, log);
    std::optional<std::int64_t> account;
    std::int64_t txn_id = 0, after = 0;
    auto ec = write_wait(*st, [&](vrnum::write_txn& txn) {
        auto a = accounts::find_account_by_email(txn, email);
        if (!a) {
            return;
        }
        account = a->id;
        txn_id = wallet::adjust(txn, a->id, amount_minor, reason, vrnum::now_unix_ms());
        after = wallet::balance(txn, a->id);
    });
    bool refused = ec == vrnum::errc::insufficient_funds;
    audit(*log, "wallet adjust",
          {{"account_id", account ? boost::json::value(*account) : boost::json::value(nullptr)},
           {"amount_minor", amount_minor},
           {"applied", !ec && account.has_value()}});
    if (ec && !refused) {
        throw std::runtime_error("cannot adjust the wallet: " + ec.message());
    }
    if (!account) {
        out << "no account has this address" << std::endl;
        return 1;
    }
    if (refused) {
        out << "refused: the wallet does not cover a debit of " << -amount_minor
            << " cents (a wallet never goes below zero)" << std::endl;
        return 1;
    }
    out << "transaction " << txn_id << ": " << (amount_minor > 0 ? "credited " : "debited ")
        << (amount_minor > 0 ? amount_minor : -amount_minor) << " cents; balance " << after
        << " cents" << std::endl;
    return 0;
}

int run_wallet_audit(const daemon_config& cfg, std::ostream& out) {
    auto log = command_logger(cfg);
    auto st = open_command_store(cfg, log);
    wallet::ledger_audit a;
    read_sync(
        *st, [&](vrnum::read_txn& txn) { a = wallet::audit(txn); }, "cannot read the ledger");
    out << "transactions " << a.transactions << "\n"
        << "unbalanced transactions " << a.unbalanced_transactions << "\n"
        << "stale cached balances " << a.stale_balances << "\n"
        << "negative wallets " << a.negative_wallets << "\n"
        << "sum of all postings " << a.total_minor << "\n"
        << (a.sound() ? "the ledger balances" : "THE LEDGER DOES NOT BALANCE") << std::endl;
    return a.sound() ? 0 : 1;
}

int run_stats(const daemon_config& cfg, unsigned days, bool as_json, std::ostream& out) {
    auto st = open_command_store(cfg, command_logger(cfg));
    std::string since =
        mail::day_text(vrnum::now_unix_ms() - static_cast<vrnum::unix_ms>(days) * 86'400'000);
    std::vector<numbers::daily_rentals> rows;
    read_sync(
        *st, [&](vrnum::read_txn& txn) { rows = numbers::rental_stats(txn, since); }, "stats");
    if (as_json) {
        boost::json::array items;
        for (const auto& r : rows) {
            items.push_back(boost::json::object{{"day", r.day},
                                                {"country", r.country},
                                                {"rentals", r.rentals},
                                                {"renewals", r.renewals}});
        }
        out << boost::json::serialize(boost::json::object{{"since", since}, {"days", items}})
            << std::endl;
        return 0;
    }
    out << "day         country  rentals  renewals" << std::endl;
    std::int64_t rentals = 0, renewals = 0;
    for (const auto& r : rows) {
        char line[96];
        std::snprintf(line, sizeof line, "%-11s %-8s %8lld %9lld", r.day.c_str(), r.country.c_str(),
                      static_cast<long long>(r.rentals), static_cast<long long>(r.renewals));
        out << line << std::endl;
        rentals += r.rentals;
        renewals += r.renewals;
    }
    out << "total since " << since << ": " << rentals << " rentals, " << renewals << " renewals"
        << std::endl;
    return 0;
}

}  // namespace vrnumd
