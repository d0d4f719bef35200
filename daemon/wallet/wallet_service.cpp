#include "wallet/wallet_service.hpp"

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vrnum/time.hpp>

#include "api/json_io.hpp"
#include "api/list_route.hpp"
#include "store_async.hpp"

namespace vrnumd::wallet {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

json::object entry_json(const wallet_entry& e) {
    return {{"id", e.id},
            {"kind", entry_kind_name(e.kind)},
            {"amount_minor", e.amount_minor},
            {"currency", currency},
            {"created_at", vrnum::format_rfc3339(e.created_at)},
            {"reference", e.reference}};
}

}  // namespace

std::int64_t adjust(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t amount_minor,
                    std::string_view reason, vrnum::unix_ms now) {
    std::int64_t wallet = wallet_account(txn, account_id);
    std::int64_t other = system_ledger_account(txn, system_account::adjustments);
    return post(txn, entry_kind::adjustment, "operator adjustment",
                {{wallet, amount_minor}, {other, -amount_minor}}, now, reason);
}

service::service(vrnum::store& store, accounts::service& accounts)
    : store_(store), accounts_(accounts) {
    accounts_.add_export_section({"ledger_accounts", [](vrnum::read_txn& txn, std::int64_t id) {
                                      json::array rows;
                                      txn.query(
                                          "SELECT id, currency, balance_minor FROM ledger_accounts "
                                          "WHERE account_id = ?1",
                                          {id}, [&](const vrnum::sql_row& r) {
                                              rows.push_back(
                                                  json::object{{"id", r.get_int(0)},
                                                               {"currency", r.get_text(1)},
                                                               {"balance_minor", r.get_int(2)}});
                                          });
                                      return rows;
                                  }});
    accounts_.add_export_section(accounts::rows_section(
        "wallet_transactions",
        [](vrnum::read_txn& txn, std::int64_t id) { return wallet_entries(txn, id, 0, 1'000'000); },
        entry_json));
    // The books keep the wallet, without its owner: the ledger still balances.
    accounts_.add_erasure_hook(
        [](vrnum::write_txn& txn, std::int64_t id) { pseudonymise_wallet(txn, id); });
}

std::vector<vrnum::http::route> service::routes() {
    auto get_wallet = [this](request& req) -> asio::awaitable<response> {
        auto who = co_await accounts_.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        std::int64_t bal = 0;
        std::int64_t id = who->account_id;
        auto read = [&](vrnum::read_txn& txn) { bal = balance(txn, id); };
        if (auto ec = co_await read_job(store_, read)) {
            co_return accounts::store_error(ec);
        }
        co_return api::reply(200, json::object{{"balance_minor", bal}, {"currency", currency}});
    };
    auto get_transactions = [this](request& req) {
        return api::list_route<wallet_entry>(
            accounts_, store_, req,
            [](vrnum::read_txn& txn, std::int64_t id, const api::page& p) {
                return wallet_entries(txn, id, p.before, p.limit);
            },
            entry_json);
    };
    return {{"GET", "/api/v1/wallet", get_wallet, {}},
            {"GET", "/api/v1/wallet/transactions", get_transactions, {}}};
}

}  // namespace vrnumd::wallet
