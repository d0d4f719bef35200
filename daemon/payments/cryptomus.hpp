#pragma once
/// \file
/// Cryptomus's payment API as vrnumd uses it: creating an invoice (`POST {api_base_url}/v1/
/// payment`) with the `merchant` and `sign` headers Cryptomus checks. The request carries the
/// amount, the currency, an opaque order id and the callback URL: never an email or an account.

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <vrnum/error.hpp>

#include "config/daemon_config.hpp"
#include "net/http_client.hpp"
#include "payments/cryptomus_webhook.hpp"

namespace vrnumd::payments {

/// `amount_minor` cents as Cryptomus's decimal string ("5.00").
std::string decimal_amount(std::int64_t amount_minor);

/// A created invoice.
struct created_invoice {
    std::string uuid;
    std::string url;  ///< where the customer pays
};

/// What Cryptomus's payment-info call says about an invoice.
struct payment_info {
    bool found = false;      ///< false: Cryptomus knows no such invoice (HTTP 404)
    payment_notice payment;  ///< when found
    std::string url;         ///< the payment page, when found
};

/// Owned by the payments service; its calls may run on any thread at once.
class cryptomus_client {
  public:
    /// Requests run on `ex`; throws std::runtime_error for an unusable `http_client.ca_file`.
    cryptomus_client(boost::asio::any_io_executor ex, cryptomus_config cfg,
                     const http_client_config& http);
    /// Creates an invoice; `errc::unavailable` when Cryptomus cannot be reached or does not
    /// answer with an invoice (the reason is logged by the caller from `detail`).
    boost::asio::awaitable<vrnum::result<created_invoice>> create_invoice(
        const std::string& order_id, std::int64_t amount_minor, const std::string& callback_url,
        std::string& detail);

    /// Asks Cryptomus about the invoice with `uuid` (or, when it is empty, `order_id`):
    /// `errc::unavailable` when Cryptomus cannot be reached or answers something else.
    boost::asio::awaitable<vrnum::result<payment_info>> payment_status(const std::string& uuid,
                                                                       const std::string& order_id,
                                                                       std::string& detail);

  private:
    // POSTs `body` to `path`, signed; the answer's `result` object, or `unavailable` with
    // `detail` (and `status` the HTTP status, 0 when there was none).
    boost::asio::awaitable<vrnum::result<boost::json::object>> call(const char* path,
                                                                    const boost::json::object& body,
                                                                    unsigned& status,
                                                                    std::string& detail);
    cryptomus_config cfg_;
    net::http_client client_;
};

}  // namespace vrnumd::payments
