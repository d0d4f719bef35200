#pragma once
/// \file
/// The catalog and rentals (SPEC §5): `GET /catalog`, `POST /numbers` (with
/// `Idempotency-Key`), `GET /numbers`, `GET /numbers/{id}`, `POST /numbers/{id}/renew`,
/// `PATCH /numbers/{id}`, and the jobs of SPEC §6 that concern numbers: expiry warnings,
/// auto-renewal, release into quarantine and back, and the provisioning calls that did not
/// settle. Money follows DESIGN §3a: a purchase is debited in the write that reserves the
/// number; with the `http` provisioner the call is made after that commit and the purchase is
/// confirmed or refunded after it; a call that does not settle is retried by the jobs with
/// the same `Idempotency-Key`, never charged twice.

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "config/daemon_config.hpp"
#include "numbers/provisioner.hpp"
#include "numbers/rentals.hpp"

namespace spdlog {
class logger;
}

namespace vrnumd::numbers {

/// Tunables; the defaults are the daemon's.
struct service_options {
    std::function<vrnum::unix_ms()> clock;  ///< default: the system clock
    /// How long a provisioning call is its caller's before the jobs may retry it.
    std::chrono::milliseconds call_lease{std::chrono::minutes(2)};
};

/// What a reservation or a settlement decided: a final answer, or a call still to make.
struct order_step {
    unsigned status = 0;               ///< the answer's status when final
    std::string body;                  ///< its JSON body
    std::optional<provision_op> call;  ///< a provisioning call to make now
};

/// Owned by the daemon beside the accounts service; handlers run on any I/O thread at once.
class service {
  public:
    /// Registers the rentals' export section and erasure step with `accounts`; adds the
    /// pool's numbers to the store. Calls to an `http` provisioner run on `ex`.
    service(vrnum::store& store, const daemon_config& cfg, accounts::service& accounts,
            std::shared_ptr<spdlog::logger> log, boost::asio::any_io_executor ex,
            service_options opts = {});
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /// The routes, every one under `/api/v1`.
    std::vector<vrnum::http::route> routes();
    /// One run of the numbers' jobs as of the clock's now. Blocking (calls to the provisioner
    /// run on the executor): for the jobs' thread; `stop` ends it between steps.
    void run_jobs(const std::stop_token& stop = {});

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// A rental as the API shows it.
boost::json::object rental_json(const rental& r);

}  // namespace vrnumd::numbers
