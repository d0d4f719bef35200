#pragma once
/// \file
/// Top-ups (`POST /api/v1/wallet/topups`), the customer's invoices (`GET /api/v1/invoices`) and
/// Cryptomus's payment webhook (`POST /webhooks/cryptomus`). A top-up reserves an invoice, asks
/// Cryptomus for it outside any write transaction, then records what Cryptomus answered
/// (DESIGN §3a's reserve → call → confirm or undo). A webhook is checked (signature,
/// `allowed_ips`), confirmed with Cryptomus's payment-info call outside the write, and credits
/// the wallet once per invoice.

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "config/daemon_config.hpp"
#include "payments/cryptomus.hpp"
#include "payments/invoices.hpp"

namespace spdlog {
class logger;
}
namespace prometheus {
class Counter;
class Registry;
}  // namespace prometheus
namespace vrnum::detail {
class proxy_policy;
class log_limiter;
}  // namespace vrnum::detail

namespace vrnumd::payments {

/// Smallest top-up, in cents (SPEC §5).
inline constexpr std::int64_t min_topup_minor = 100;
/// Largest top-up, in cents.
inline constexpr std::int64_t max_topup_minor = 10'000'000;

/// What became of a payment webhook: the `outcome` label of `vrnum_cryptomus_webhooks_total`.
enum class webhook_outcome {
    credited,         ///< a wallet was credited
    updated,          ///< the invoice's status moved on
    unchanged,        ///< a repeat, or a status that changes nothing
    unknown_invoice,  ///< signed, but for no invoice of ours (logged, 200)
    unconfirmed,      ///< Cryptomus's payment-info call failed or disagreed (503)
    bad_signature,
    malformed,
    forbidden,    ///< from an address outside `allowed_ips`
    store_error,  ///< the store could not take it (503)
};

/// Owned by the daemon beside the accounts service; handlers run on any I/O thread at once.
class service {
  public:
    /// Registers the invoices' export section and erasure step with `accounts`; `registry`
    /// (optional) gets the webhook's metrics. Without `payments.cryptomus` top-ups answer 404
    /// and there is no payment webhook.
    service(vrnum::store& store, const daemon_config& cfg, accounts::service& accounts,
            std::shared_ptr<spdlog::logger> log, prometheus::Registry* registry,
            boost::asio::any_io_executor ex);
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;
    /// The base URL Cryptomus calls back (`{base_url}/webhooks/cryptomus`); before serving.
    void attach(std::string base_url);
    /// The routes: `/api/v1/wallet/topups`, `/api/v1/invoices`, `/webhooks/cryptomus`.
    std::vector<vrnum::http::route> routes();
    /// Settles invoices left `creating` for `grace` (vrnumd stopped between reserving one and
    /// recording Cryptomus's answer): asks Cryptomus by order id and records the invoice (and
    /// credits it when it was paid meanwhile), or marks it failed when Cryptomus never made
    /// it. Returns how many settled. Blocking: for the jobs' thread; `stop` ends it between
    /// invoices.
    std::size_t recover_invoices(std::chrono::milliseconds grace, const std::stop_token& stop = {});

  private:
    boost::asio::awaitable<vrnum::http::response> webhook(vrnum::http::request& req);
    // Inside the write: applies `n` (as Cryptomus confirmed it) to its invoice, crediting
    // `received_minor` (paid_over, wrong_amount) or the invoice's amount (paid) when `credit`.
    webhook_outcome settle(vrnum::write_txn& txn, const payment_notice& n, bool credit,
                           std::int64_t received_minor, vrnum::unix_ms now);
    // Counts `o` and logs it with `detail` (hostile input within a budget).
    void record(webhook_outcome o, const std::string& detail);

    vrnum::store& store_;
    accounts::service& accounts_;
    std::shared_ptr<spdlog::logger> log_;
    boost::asio::any_io_executor ex_;
    std::optional<cryptomus_config> cfg_;
    std::optional<cryptomus_client> cryptomus_;
    std::unique_ptr<const vrnum::detail::proxy_policy> allowed_ips_;
    std::string callback_url_;
    std::vector<prometheus::Counter*> outcomes_;  // by webhook_outcome
    std::unique_ptr<vrnum::detail::log_limiter> log_budget_;
};

}  // namespace vrnumd::payments
