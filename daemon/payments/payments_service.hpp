#pragma once
/// \file
/// Top-ups (`POST /api/v1/wallet/topups`) and the customer's invoices (`GET /api/v1/invoices`):
/// reserve an invoice, ask Cryptomus for it outside any write transaction, then record what
/// Cryptomus answered (DESIGN §3a's reserve → call → confirm or undo).

#include <atomic>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "config/daemon_config.hpp"
#include "payments/cryptomus.hpp"

namespace spdlog {
class logger;
}

namespace vrnumd::payments {

/// Smallest top-up, in cents (SPEC §5).
inline constexpr std::int64_t min_topup_minor = 100;
/// Largest top-up, in cents.
inline constexpr std::int64_t max_topup_minor = 10'000'000;

/// Owned by the daemon beside the accounts service; handlers run on any I/O thread at once.
class service {
  public:
    /// Registers the invoices' export section and erasure step with `accounts`. Without
    /// `payments.cryptomus` top-ups answer 404.
    service(vrnum::store& store, const daemon_config& cfg, accounts::service& accounts,
            std::shared_ptr<spdlog::logger> log, boost::asio::any_io_executor ex);
    /// The base URL Cryptomus calls back (`{base_url}/webhooks/cryptomus`); before serving.
    void attach(std::string base_url);
    /// The routes, every one under `/api/v1`.
    std::vector<vrnum::http::route> routes();

  private:
    vrnum::store& store_;
    accounts::service& accounts_;
    std::shared_ptr<spdlog::logger> log_;
    std::optional<cryptomus_client> cryptomus_;
    std::string callback_url_;
};

}  // namespace vrnumd::payments
