#include "payments/cryptomus.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"

namespace vrnumd::payments {

namespace asio = boost::asio;

std::string cryptomus_sign(std::string_view body, std::string_view api_key) {
    std::string b64 = vrnum::detail::encode_base64(body);
    auto d = vrnum::detail::digest("MD5", {b64, api_key});
    if (!d) {
        throw std::runtime_error("MD5 failed");
    }
    return vrnum::detail::encode_hex(*d);
}

std::string decimal_amount(std::int64_t amount_minor) {
    std::string cents = std::to_string(amount_minor % 100);
    return std::to_string(amount_minor / 100) + "." + (cents.size() == 1 ? "0" : "") + cents;
}

cryptomus_client::cryptomus_client(asio::any_io_executor ex, cryptomus_config cfg,
                                   const http_client_config& http)
    : cfg_(std::move(cfg)), client_(std::move(ex), http) {}

asio::awaitable<vrnum::result<created_invoice>> cryptomus_client::create_invoice(
    const std::string& order_id, std::int64_t amount_minor, const std::string& callback_url,
    std::string& detail) {
    std::string body =
        boost::json::serialize(boost::json::object{{"amount", decimal_amount(amount_minor)},
                                                   {"currency", "USD"},
                                                   {"order_id", order_id},
                                                   {"url_callback", callback_url},
                                                   {"lifetime", cfg_.invoice_lifetime_seconds}});
    net::http_request req;
    req.method = "POST";
    req.url = cfg_.api_base_url + "/v1/payment";
    req.headers = {{"Content-Type", "application/json"},
                   {"merchant", cfg_.merchant_id},
                   {"sign", cryptomus_sign(body, cfg_.payment_api_key)}};
    req.body = std::move(body);
    req.body_limit = 256 * 1024;
    auto [ec, res] =
        co_await client_.async_send(std::move(req), asio::as_tuple(asio::use_awaitable));
    if (ec) {
        detail = res.error_detail.empty() ? ec.message() : res.error_detail;
        co_return make_error_code(vrnum::errc::unavailable);
    }
    boost::system::error_code jec;
    auto v = boost::json::parse(res.body, jec);
    const auto* o = jec ? nullptr : v.if_object();
    const auto* result = o ? o->if_contains("result") : nullptr;
    const auto* r = result ? result->if_object() : nullptr;
    const auto* uuid = r ? r->if_contains("uuid") : nullptr;
    const auto* url = r ? r->if_contains("url") : nullptr;
    if (res.status != 200 || !uuid || !uuid->is_string() || !url || !url->is_string()) {
        detail = "HTTP " + std::to_string(res.status) + " without an invoice";
        co_return make_error_code(vrnum::errc::unavailable);
    }
    co_return created_invoice{std::string(uuid->get_string()), std::string(url->get_string())};
}

}  // namespace vrnumd::payments
