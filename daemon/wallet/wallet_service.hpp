#pragma once
/// \file
/// The wallet's routes under `/api/v1` (`GET /wallet`, `GET /wallet/transactions`), the
/// wallet's part of an account's export and erasure, and the operator's adjustments.

#include <cstdint>
#include <string>
#include <vector>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "wallet/ledger.hpp"

namespace vrnumd::wallet {

/// Owned by the daemon beside the accounts service, which it authenticates with; handlers
/// run on any I/O thread at once.
class service {
  public:
    /// Registers the wallet's export section and erasure step with `accounts`.
    service(vrnum::store& store, accounts::service& accounts);
    /// The routes, every one under `/api/v1`.
    std::vector<vrnum::http::route> routes();

  private:
    vrnum::store& store_;
    accounts::service& accounts_;
};

/// Credits (`amount_minor` > 0) or debits the wallet of `account_id` against the
/// adjustments account, with `reason` kept on the transaction; returns the transaction id.
/// Throws `boost::system::system_error(errc::insufficient_funds)` for a debit the wallet
/// does not cover. Runs inside the caller's write.
std::int64_t adjust(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t amount_minor,
                    std::string_view reason, vrnum::unix_ms now);

}  // namespace vrnumd::wallet
