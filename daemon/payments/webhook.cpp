// POST /webhooks/cryptomus (SPEC §4, the `cryptomus` row) and the recovery of invoices whose
// creation was never recorded.

#include <array>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/system/system_error.hpp>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "api/json_io.hpp"
#include "http/client_ip.hpp"
#include "log/json_log.hpp"
#include "log/log_limiter.hpp"
#include "mail/display.hpp"
#include "payments/payments_service.hpp"
#include "store_async.hpp"
#include "store_sync.hpp"
#include "wallet/ledger.hpp"

namespace vrnumd::payments {
namespace {

namespace asio = boost::asio;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

constexpr std::array<const char*, 9> outcome_names{
    "credited",      "updated",   "unchanged", "unknown_invoice", "unconfirmed",
    "bad_signature", "malformed", "forbidden", "store_error"};

bool allowed(const vrnum::detail::proxy_policy& ips, const std::string& client_ip) {
    boost::system::error_code ec;
    auto a = asio::ip::make_address(client_ip, ec);
    return !ec && ips.trusted(a);
}

response accepted() {
    response r;
    r.status = 200;
    return r;
}

response retry_later(std::string_view detail) {
    auto r = api::error(errc::unavailable, detail);
    r.set("Retry-After", "60");
    return r;
}

// Whether `c` (as Cryptomus confirmed it) says money arrived for good, with what arrived in
// `received` for paid_over and wrong_amount; nullopt when it did but says no readable amount.
std::optional<bool> credit_due(const payment_notice& c, std::int64_t& received) {
    if (!c.is_final || classify_status(c.status) != status_kind::credit) {
        return false;
    }
    if (c.status != "paid") {
        auto cents = c.payment_amount_usd ? usd_cents(*c.payment_amount_usd) : std::nullopt;
        if (!cents) {
            return std::nullopt;
        }
        received = *cents;
    }
    return true;
}

}  // namespace

void service::record(webhook_outcome o, const std::string& detail) {
    auto i = static_cast<std::size_t>(o);
    if (i < outcomes_.size()) {
        outcomes_[i]->Increment();
    }
    bool hostile = o == webhook_outcome::bad_signature || o == webhook_outcome::malformed ||
                   o == webhook_outcome::forbidden;
    std::uint64_t suppressed = 0;
    if (hostile && !log_budget_->allow(suppressed)) {
        return;
    }
    auto level = hostile || o == webhook_outcome::unknown_invoice ? spdlog::level::warn
                 : o == webhook_outcome::unconfirmed || o == webhook_outcome::store_error
                     ? spdlog::level::err
                     : spdlog::level::info;
    vrnum::detail::log_event(
        *log_, level, "cryptomus webhook",
        {{"outcome", outcome_names[i]}, {"detail", detail}, {"suppressed", suppressed}});
}

asio::awaitable<response> service::webhook(request& req) {
    if (!cfg_->allowed_ips.empty() && !allowed(*allowed_ips_, req.client_ip)) {
        record(webhook_outcome::forbidden, "from " + vrnum::detail::truncate_ip(req.client_ip));
        co_return api::error(errc::forbidden, "this address may not post payment notices");
    }
    std::string detail;
    auto notice = verify_notice(req.body, cfg_->payment_api_key, detail);
    if (!notice) {
        bool sig = notice.error() == errc::bad_signature;
        record(sig ? webhook_outcome::bad_signature : webhook_outcome::malformed, detail);
        co_return api::error(sig ? errc::bad_signature : errc::malformed, detail);
    }
    const payment_notice& n = *notice;
    // Whose invoice, and is there anything left to do? (A repeat of a credited invoice's
    // notice needs no call to Cryptomus.)
    std::optional<invoice_state> inv;
    auto find = [&](vrnum::read_txn& txn) { inv = find_invoice(txn, n.order_id); };
    if (auto ec = co_await read_job(store_, find)) {
        record(webhook_outcome::store_error, ec.message());
        co_return retry_later("the store is unavailable");
    }
    if (!inv || (!inv->uuid.empty() && inv->uuid != n.uuid)) {
        record(webhook_outcome::unknown_invoice, "order " + n.order_id + ", uuid " + n.uuid);
        co_return accepted();
    }
    bool credit = false;
    std::int64_t received = 0;
    payment_notice confirmed = n;
    if (n.is_final && classify_status(n.status) == status_kind::credit && !inv->credited) {
        // Money only moves on what Cryptomus itself confirms, asked outside any write.
        auto info = co_await cryptomus_->payment_status(n.uuid, n.order_id, detail);
        if (!info || !info->found || info->payment.uuid != n.uuid ||
            info->payment.order_id != n.order_id) {
            record(webhook_outcome::unconfirmed,
                   "invoice " + std::to_string(inv->id) + ": " +
                       (!info ? detail : std::string("payment-info does not know it")));
            co_return retry_later("the payment could not be confirmed with Cryptomus");
        }
        confirmed = info->payment;
        if (!confirmed.payment_amount_usd) {
            confirmed.payment_amount_usd = n.payment_amount_usd;
        }
        auto due = credit_due(confirmed, received);
        if (!due || !*due) {
            // Cryptomus says money arrived for good, but its own payment-info does not (yet),
            // or names no readable amount: no credit, and Cryptomus is asked to come back
            // rather than told all is done.
            record(webhook_outcome::unconfirmed,
                   "invoice " + std::to_string(inv->id) + ": payment-info says " +
                       confirmed.status + (confirmed.is_final ? " (final)" : " (not final)") +
                       (due ? "" : ", no readable payment_amount_usd"));
            co_return retry_later("the payment could not be confirmed with Cryptomus");
        }
        credit = true;
    }
    webhook_outcome outcome = webhook_outcome::unchanged;
    vrnum::unix_ms now = vrnum::now_unix_ms();
    auto apply = [&](vrnum::write_txn& txn) {
        outcome = settle(txn, confirmed, credit, received, now);
    };
    if (auto ec = co_await write_job(store_, apply)) {
        record(webhook_outcome::store_error, ec.message());
        co_return retry_later("the store is unavailable");
    }
    record(outcome, "invoice " + std::to_string(inv->id) + ": " + confirmed.status);
    co_return accepted();
}

webhook_outcome service::settle(vrnum::write_txn& txn, const payment_notice& n, bool credit,
                                std::int64_t received_minor, vrnum::unix_ms now) {
    auto inv = find_invoice(txn, n.order_id);
    if (!inv || (!inv->uuid.empty() && inv->uuid != n.uuid)) {
        return webhook_outcome::unknown_invoice;
    }
    if (credit && !inv->credited && inv->account_id) {
        std::int64_t amount = n.status == "paid" ? inv->amount_minor : received_minor;
        set_invoice_status(txn, inv->id, n.status, n.uuid, now);
        mark_credited(txn, inv->id, amount, now);
        if (amount > 0) {
            std::int64_t account = *inv->account_id;
            wallet::post(
                txn, wallet::entry_kind::topup, "invoice " + std::to_string(inv->id),
                {{wallet::system_ledger_account(txn, wallet::system_account::cryptomus), -amount},
                 {wallet::wallet_account(txn, account), amount}},
                now);
            accounts_.notify(txn, account, "topup_receipt",
                             {{"amount", mail::money_text(amount)},
                              {"invoice_id", inv->id},
                              {"paid_at", mail::time_text(now)},
                              {"balance", mail::money_text(wallet::balance(txn, account))}});
        }
        return webhook_outcome::credited;
    }
    if (credit && !inv->account_id && !inv->credited) {
        // Paid after its account was erased: nobody's wallet to credit. The operator refunds
        // through Cryptomus; the invoice shows what happened.
        vrnum::detail::log_event(*log_, spdlog::level::err,
                                 "cryptomus payment for an erased account's invoice",
                                 {{"invoice_id", inv->id}, {"status", n.status}});
    }
    auto next = next_status(inv->status, inv->credited, n.status);
    if (!next) {
        return webhook_outcome::unchanged;
    }
    set_invoice_status(txn, inv->id, *next, n.uuid, now);
    return webhook_outcome::updated;
}

std::size_t service::recover_invoices(std::chrono::milliseconds grace,
                                      const std::stop_token& stop) {
    if (!cryptomus_) {
        return 0;
    }
    std::vector<invoice_state> left;
    vrnum::unix_ms before = vrnum::now_unix_ms() - grace.count();
    read_sync(
        store_, [&](vrnum::read_txn& txn) { left = unsettled_invoices(txn, before, 100); },
        "invoices");
    std::size_t settled = 0;
    for (const auto& inv : left) {
        if (stop.stop_requested()) {
            break;
        }
        std::string detail;
        auto ask = [this, &inv, &detail]() -> asio::awaitable<vrnum::result<payment_info>> {
            auto r = co_await cryptomus_->payment_status({}, inv.order_id, detail);
            co_return r;
        };
        // Bounded: when the executor stops (a second SIGTERM) the job gives up.
        auto pending = asio::co_spawn(ex_, ask, asio::use_future);
        if (pending.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
            break;
        }
        auto info = pending.get();
        if (!info) {
            vrnum::detail::log_event(*log_, spdlog::level::warn, "invoice recovery: cryptomus",
                                     {{"invoice_id", inv.id}, {"detail", detail}});
            continue;
        }
        if (info->found && info->payment.order_id != inv.order_id) {
            vrnum::detail::log_event(*log_, spdlog::level::err,
                                     "invoice recovery: cryptomus answered for another order",
                                     {{"invoice_id", inv.id}});
            continue;
        }
        vrnum::unix_ms now = vrnum::now_unix_ms();
        write_sync(
            store_,
            [&](vrnum::write_txn& txn) {
                if (!info->found) {
                    invoice_failed(txn, inv.id, now);
                    return;
                }
                invoice_created(txn, inv.id, info->payment.uuid, info->url, now);
                std::int64_t received = 0;
                bool credit = credit_due(info->payment, received).value_or(false);
                settle(txn, info->payment, credit, received, now);
            },
            "invoices");
        vrnum::detail::log_event(
            *log_, spdlog::level::info, "invoice recovered",
            {{"invoice_id", inv.id},
             {"status", info->found ? info->payment.status : std::string("failed")}});
        ++settled;
    }
    return settled;
}

}  // namespace vrnumd::payments
