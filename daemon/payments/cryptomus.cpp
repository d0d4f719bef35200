#include "payments/cryptomus.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "mail/display.hpp"

namespace vrnumd::payments {

namespace asio = boost::asio;

std::string decimal_amount(std::int64_t amount_minor) {
    return mail::decimal_text(amount_minor);
}

cryptomus_client::cryptomus_client(asio::any_io_executor ex, cryptomus_config cfg,
                                   const http_client_config& http)
    : cfg_(std::move(cfg)), client_(std::move(ex), http) {}

asio::awaitable<vrnum::result<boost::json::object>> cryptomus_client::call(
    const char* path, const boost::json::object& body, unsigned& status, std::string& detail) {
    std::string text = boost::json::serialize(body);
    net::http_request req;
    req.method = "POST";
    req.url = cfg_.api_base_url + path;
    req.headers = {{"Content-Type", "application/json"},
                   {"merchant", cfg_.merchant_id},
                   {"sign", cryptomus_sign(text, cfg_.payment_api_key)}};
    req.body = std::move(text);
    req.body_limit = 256 * 1024;
    auto [ec, res] =
        co_await client_.async_send(std::move(req), asio::as_tuple(asio::use_awaitable));
    status = ec ? 0 : res.status;
    if (ec) {
        detail = res.error_detail.empty() ? ec.message() : res.error_detail;
        co_return make_error_code(vrnum::errc::unavailable);
    }
    boost::system::error_code jec;
    auto v = boost::json::parse(res.body, jec);
    auto* o = jec ? nullptr : v.if_object();
    auto* result = o ? o->if_contains("result") : nullptr;
    auto* r = result ? result->if_object() : nullptr;
    if (res.status != 200 || !r) {
        detail = "HTTP " + std::to_string(res.status) + " without a result";
        co_return make_error_code(vrnum::errc::unavailable);
    }
    co_return std::move(*r);
}

asio::awaitable<vrnum::result<created_invoice>> cryptomus_client::create_invoice(
    const std::string& order_id, std::int64_t amount_minor, const std::string& callback_url,
    std::string& detail) {
    const boost::json::object body{{"amount", decimal_amount(amount_minor)},
                                   {"currency", "USD"},
                                   {"order_id", order_id},
                                   {"url_callback", callback_url},
                                   {"lifetime", cfg_.invoice_lifetime_seconds}};
    unsigned status = 0;
    auto r = co_await call("/v1/payment", body, status, detail);
    if (!r) {
        co_return r.error();
    }
    const auto* uuid = r->if_contains("uuid");
    const auto* url = r->if_contains("url");
    if (!uuid || !uuid->is_string() || !url || !url->is_string()) {
        detail = "an answer without uuid and url";
        co_return make_error_code(vrnum::errc::unavailable);
    }
    co_return created_invoice{std::string(uuid->get_string()), std::string(url->get_string())};
}

asio::awaitable<vrnum::result<payment_info>> cryptomus_client::payment_status(
    const std::string& uuid, const std::string& order_id, std::string& detail) {
    const boost::json::object body = uuid.empty() ? boost::json::object{{"order_id", order_id}}
                                                  : boost::json::object{{"uuid", uuid}};
    unsigned status = 0;
    auto r = co_await call("/v1/payment/info", body, status, detail);
    if (!r) {
        if (status == 404) {
            co_return payment_info{};
        }
        co_return r.error();
    }
    auto n = read_notice(boost::json::serialize(*r));
    if (!n) {
        detail = "an answer without uuid, order_id and status";
        co_return make_error_code(vrnum::errc::unavailable);
    }
    payment_info info{true, std::move(*n), {}};
    if (const auto* url = r->if_contains("url"); url && url->is_string()) {
        info.url = std::string(url->get_string());
    }
    co_return info;
}

}  // namespace vrnumd::payments
