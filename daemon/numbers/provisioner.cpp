#include "numbers/provisioner.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace vrnumd::numbers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

const json::string* string_field(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

std::optional<json::object> object_of(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    if (ec || !v.is_object()) {
        return std::nullopt;
    }
    return std::move(v.as_object());
}

}  // namespace

http_provisioner::http_provisioner(asio::any_io_executor ex, provisioner_http_config cfg,
                                   const http_client_config& http)
    : cfg_(std::move(cfg)), client_(std::move(ex), http) {}

asio::awaitable<call_outcome> http_provisioner::call(const char* path, const std::string& body,
                                                     const std::string& key, std::string& answer,
                                                     std::string& detail) {
    net::http_request req;
    req.method = "POST";
    req.url = cfg_.base_url + path;
    req.headers = {{"Content-Type", "application/json"},
                   {"Authorization", "Bearer " + cfg_.token},
                   {"Idempotency-Key", key}};
    req.body = body;
    req.body_limit = 64 * 1024;
    auto [ec, res] =
        co_await client_.async_send(std::move(req), asio::as_tuple(asio::use_awaitable));
    if (ec) {
        detail = res.error_detail.empty() ? ec.message() : res.error_detail;
        co_return call_outcome::unsettled;
    }
    answer = std::move(res.body);
    if (res.status >= 200 && res.status < 300) {
        co_return call_outcome::ok;
    }
    detail = std::string(path) + ": HTTP " + std::to_string(res.status);
    // 408 and 429 say "not now", not "no".
    bool refused = res.status >= 400 && res.status < 500 && res.status != 408 && res.status != 429;
    co_return refused ? call_outcome::refused : call_outcome::unsettled;
}

asio::awaitable<call_outcome> http_provisioner::allocate(const std::string& country, unsigned days,
                                                         const std::string& key, allocation& out,
                                                         std::string& detail) {
    std::string body = json::serialize(json::object{{"country", country}, {"days", days}});
    std::string answer;
    auto r = co_await call("/allocate", body, key, answer, detail);
    if (r != call_outcome::ok) {
        co_return r;
    }
    auto o = object_of(answer);
    const auto* number = o ? string_field(*o, "number") : nullptr;
    const auto* ref = o ? string_field(*o, "ref") : nullptr;
    if (!number || !ref || number->empty() || ref->empty()) {
        // Something was allocated, maybe: the retry with the same key will tell.
        detail = "/allocate: an answer without number and ref";
        co_return call_outcome::unsettled;
    }
    out.number = std::string(*number);
    out.ref = std::string(*ref);
    co_return call_outcome::ok;
}

asio::awaitable<call_outcome> http_provisioner::renew(const std::string& ref, unsigned days,
                                                      const std::string& key, std::string& detail) {
    std::string body = json::serialize(json::object{{"ref", ref}, {"days", days}});
    std::string answer;
    auto r = co_await call("/renew", body, key, answer, detail);
    co_return r;
}

asio::awaitable<call_outcome> http_provisioner::release(const std::string& ref,
                                                        const std::string& key,
                                                        std::string& detail) {
    std::string body = json::serialize(json::object{{"ref", ref}});
    std::string answer;
    auto r = co_await call("/release", body, key, answer, detail);
    co_return r;
}

}  // namespace vrnumd::numbers
