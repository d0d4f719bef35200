#pragma once
/// \file
/// The `http` provisioner (SPEC §9): a provider adapter's API that allocates, renews and
/// releases numbers, JSON over HTTPS with `Authorization: Bearer <token>`. Each call carries an
/// `Idempotency-Key` naming vrnumd's reservation, so a retried call can be recognised; it
/// never carries an email or an account id: only numbers, countries and periods.

#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "config/daemon_config.hpp"
#include "net/http_client.hpp"

namespace vrnumd::numbers {

/// How a call ended.
enum class call_outcome {
    ok,         ///< done
    refused,    ///< a definite no (409 none free, another 4xx): nothing happened
    unsettled,  ///< no answer, a timeout, a 5xx or a garbled answer: it may have happened
};

/// What `/allocate` gave. Its `expires_at` is not read: the rental runs for what the customer
/// paid.
struct allocation {
    std::string number;
    std::string ref;
};

/// Owned by the numbers service; calls may run on any thread at once.
class http_provisioner {
  public:
    /// Requests run on `ex`; throws std::runtime_error for an unusable `http_client.ca_file`.
    http_provisioner(boost::asio::any_io_executor ex, provisioner_http_config cfg,
                     const http_client_config& http);
    /// `POST /allocate {country, days}`; `out` gets the number on `ok`.
    boost::asio::awaitable<call_outcome> allocate(const std::string& country, unsigned days,
                                                  const std::string& key, allocation& out,
                                                  std::string& detail);
    /// `POST /renew {ref, days}`.
    boost::asio::awaitable<call_outcome> renew(const std::string& ref, unsigned days,
                                               const std::string& key, std::string& detail);
    /// `POST /release {ref}` (204).
    boost::asio::awaitable<call_outcome> release(const std::string& ref, const std::string& key,
                                                 std::string& detail);

  private:
    boost::asio::awaitable<call_outcome> call(const char* path, const std::string& body,
                                              const std::string& key, std::string& answer,
                                              std::string& detail);
    provisioner_http_config cfg_;
    net::http_client client_;
};

}  // namespace vrnumd::numbers
