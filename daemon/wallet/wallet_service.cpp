#include "wallet/wallet_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vrnum/time.hpp>

#include "api/json_io.hpp"

namespace vrnumd::wallet {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

constexpr std::size_t default_page = 50;
constexpr std::size_t max_page = 200;

json::object entry_json(const wallet_entry& e) {
    return {{"id", e.id},
            {"kind", entry_kind_name(e.kind)},
            {"amount_minor", e.amount_minor},
            {"currency", currency},
            {"created_at", vrnum::format_rfc3339(e.created_at)},
            {"reference", e.reference}};
}

// `limit` and `before` of a list request; nullopt (and a 422 in `error`) when malformed.
std::optional<std::pair<std::int64_t, std::size_t>> page_of(const request& req, response& error) {
    std::int64_t before = 0;
    std::size_t limit = default_page;
    auto number = [](const std::string& s) -> std::optional<std::int64_t> {
        if (s.empty() || s.size() > 18 || s.find_first_not_of("0123456789") != std::string::npos) {
            return std::nullopt;
        }
        return std::stoll(s);
    };
    if (auto b = api::query_param(req, "before")) {
        auto v = number(*b);
        if (!v) {
            error = api::error(errc::validation, "before: must be a cursor from next_cursor");
            return std::nullopt;
        }
        before = *v;
    }
    if (auto l = api::query_param(req, "limit")) {
        auto v = number(*l);
        if (!v || *v < 1 || *v > static_cast<std::int64_t>(max_page)) {
            error = api::error(errc::validation, "limit: must be 1 to 200");
            return std::nullopt;
        }
        limit = static_cast<std::size_t>(*v);
    }
    return std::pair{before, limit};
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
    accounts_.add_export_section({"wallet_transactions", [](vrnum::read_txn& txn, std::int64_t id) {
                                      json::array rows;
                                      for (const auto& e : wallet_entries(txn, id, 0, 1'000'000)) {
                                          rows.push_back(entry_json(e));
                                      }
                                      return rows;
                                  }});
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
        auto [ec] =
            co_await store_.async_read([&](vrnum::read_txn& txn) { bal = balance(txn, id); },
                                       asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return accounts::store_error(ec);
        }
        co_return api::reply(200, json::object{{"balance_minor", bal}, {"currency", currency}});
    };
    auto get_transactions = [this](request& req) -> asio::awaitable<response> {
        auto who = co_await accounts_.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        response bad;
        auto page = page_of(req, bad);
        if (!page) {
            co_return bad;
        }
        std::vector<wallet_entry> entries;
        std::int64_t id = who->account_id;
        auto [ec] = co_await store_.async_read(
            [&](vrnum::read_txn& txn) {
                entries = wallet_entries(txn, id, page->first, page->second);
            },
            asio::as_tuple(asio::use_awaitable));
        if (ec) {
            co_return accounts::store_error(ec);
        }
        json::array items;
        for (const auto& e : entries) {
            items.push_back(entry_json(e));
        }
        json::value next = nullptr;
        if (entries.size() == page->second) {
            next = std::to_string(entries.back().id);
        }
        co_return api::reply(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
    };
    return {{"GET", "/api/v1/wallet", get_wallet, {}},
            {"GET", "/api/v1/wallet/transactions", get_transactions, {}}};
}

}  // namespace vrnumd::wallet
