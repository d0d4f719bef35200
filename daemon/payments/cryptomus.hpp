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

#include <vrnum/error.hpp>

#include "config/daemon_config.hpp"
#include "net/http_client.hpp"

namespace vrnumd::payments {

/// Cryptomus's `sign`: hex md5(base64(`body`) + `api_key`).
std::string cryptomus_sign(std::string_view body, std::string_view api_key);
/// `amount_minor` cents as Cryptomus's decimal string ("5.00").
std::string decimal_amount(std::int64_t amount_minor);

/// A created invoice.
struct created_invoice {
    std::string uuid;
    std::string url;  ///< where the customer pays
};

/// Owned by the payments service; `create_invoice` may run on any thread at once.
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

  private:
    cryptomus_config cfg_;
    net::http_client client_;
};

}  // namespace vrnumd::payments
