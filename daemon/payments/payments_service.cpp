#include "payments/payments_service.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "api/json_io.hpp"
#include "api/list_route.hpp"
#include "http/client_ip.hpp"
#include "log/json_log.hpp"
#include "log/log_limiter.hpp"
#include "payments/invoices.hpp"
#include "store_async.hpp"

namespace vrnumd::payments {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

json::object invoice_json(const invoice_row& i) {
    return {{"id", i.id},
            {"amount_minor", i.amount_minor},
            {"currency", "USD"},
            {"status", i.status},
            {"created_at", vrnum::format_rfc3339(i.created_at)},
            {"paid_minor", i.paid_minor}};
}

}  // namespace

service::service(vrnum::store& store, const daemon_config& cfg, accounts::service& accounts,
                 std::shared_ptr<spdlog::logger> log, prometheus::Registry* registry,
                 asio::any_io_executor ex)
    : store_(store),
      accounts_(accounts),
      log_(std::move(log)),
      ex_(std::move(ex)),
      cfg_(cfg.payments.cryptomus) {
    if (cfg_) {
        cryptomus_.emplace(ex_, *cfg_, cfg.http_client);
    }
    allowed_ips_ = std::make_unique<vrnum::detail::proxy_policy>(
        cfg_ ? cfg_->allowed_ips : std::vector<std::string>{}, std::string{});
    log_budget_ = std::make_unique<vrnum::detail::log_limiter>(10);
    if (registry != nullptr) {
        auto& family = prometheus::BuildCounter()
                           .Name("vrnum_cryptomus_webhooks_total")
                           .Help("Cryptomus payment webhooks by what became of them")
                           .Register(*registry);
        for (const char* o : {"credited", "updated", "unchanged", "unknown_invoice", "unconfirmed",
                              "bad_signature", "malformed", "forbidden", "store_error"}) {
            outcomes_.push_back(&family.Add({{"outcome", o}}));
        }
    }
    accounts_.add_export_section(accounts::rows_section(
        "invoices",
        [](vrnum::read_txn& txn, std::int64_t id) { return list_invoices(txn, id, 0, 1'000'000); },
        invoice_json));
    accounts_.add_erasure_hook(
        [](vrnum::write_txn& txn, std::int64_t id) { pseudonymise_invoices(txn, id); });
}

service::~service() = default;

void service::attach(std::string base_url) {
    callback_url_ = std::move(base_url) + "/webhooks/cryptomus";
}

std::vector<vrnum::http::route> service::routes() {
    auto topup = [this](request& req) -> asio::awaitable<response> {
        accounts::principal who;
        json::object body;
        if (auto r = co_await accounts::authenticate_with_body(accounts_, req, who, body)) {
            co_return *r;
        }
        if (!cryptomus_) {
            co_return api::error(errc::not_found, "top-ups are off on this site");
        }
        api::fields f(body);
        auto amount = f.integer("amount_minor", true);
        if (amount && (*amount < min_topup_minor || *amount > max_topup_minor)) {
            f.problem("amount_minor", "must be 100 to 10000000 (cents)");
        }
        if (!f.ok()) {
            co_return api::error(errc::validation, f.detail());
        }
        // Reserve, then ask Cryptomus outside any write transaction, then record the answer.
        reserved_invoice inv;
        std::int64_t account = who.account_id;
        vrnum::unix_ms t = vrnum::now_unix_ms();
        auto ec = co_await write_job(store_, [&](vrnum::write_txn& txn) {
            inv = reserve_invoice(txn, account, *amount, t);
        });
        if (ec) {
            co_return accounts::store_error(ec);
        }
        std::string detail;
        auto created =
            co_await cryptomus_->create_invoice(inv.order_id, *amount, callback_url_, detail);
        vrnum::unix_ms done = vrnum::now_unix_ms();
        ec = co_await write_job(store_, [&](vrnum::write_txn& txn) {
            if (created) {
                invoice_created(txn, inv.id, created->uuid, created->url, done);
            } else {
                invoice_failed(txn, inv.id, done);
            }
        });
        if (!created) {
            vrnum::detail::log_event(*log_, spdlog::level::warn, "cryptomus invoice failed",
                                     {{"invoice_id", inv.id}, {"detail", detail}});
            auto r = api::error(errc::unavailable,
                                "the payment provider is unavailable; try again shortly");
            r.set("Retry-After", "30");
            co_return r;
        }
        if (ec) {
            co_return accounts::store_error(ec);
        }
        co_return api::reply(201,
                             json::object{{"invoice_id", inv.id}, {"payment_url", created->url}});
    };
    auto invoices = [this](request& req) {
        return api::list_route<invoice_row>(
            accounts_, store_, req,
            [](vrnum::read_txn& txn, std::int64_t id, const api::page& p) {
                return list_invoices(txn, id, p.before, p.limit);
            },
            invoice_json);
    };
    std::vector<vrnum::http::route> all{{"POST", "/api/v1/wallet/topups", topup, {}},
                                        {"GET", "/api/v1/invoices", invoices, {}}};
    if (cfg_) {
        // Fixed: the source id `cryptomus` is reserved, and a literal segment beats the
        // providers' `/webhooks/{id}`.
        all.push_back({"POST", "/webhooks/cryptomus", [this](request& req) { return webhook(req); },
                       [this](const boost::system::error_code& ec) {
                           record(webhook_outcome::malformed, ec.message());
                       }});
    }
    return all;
}

}  // namespace vrnumd::payments
