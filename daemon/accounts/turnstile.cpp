#include "accounts/turnstile.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/url/url.hpp>

namespace vrnumd::accounts {

namespace asio = boost::asio;

turnstile_verifier::turnstile_verifier(asio::any_io_executor ex, turnstile_config cfg,
                                       const http_client_config& http)
    : cfg_(std::move(cfg)), client_(std::move(ex), http) {}

asio::awaitable<turnstile_outcome> turnstile_verifier::verify(const std::string& token,
                                                              const std::string& client_ip) {
    if (!enabled()) {
        co_return turnstile_outcome::passed;
    }
    // Siteverify refuses tokens over 2048 characters; sparing it the call.
    if (token.empty() || token.size() > 2048) {
        co_return turnstile_outcome::failed;
    }
    boost::urls::url form;
    form.params().append({"secret", cfg_.secret});
    form.params().append({"response", token});
    if (!client_ip.empty()) {
        form.params().append({"remoteip", client_ip});
    }
    net::http_request req;
    req.method = "POST";
    req.url = cfg_.siteverify_url;
    req.headers = {{"Content-Type", "application/x-www-form-urlencoded"},
                   {"Accept", "application/json"}};
    req.body = std::string(form.encoded_query());
    req.body_limit = 64 * 1024;
    auto [ec, res] =
        co_await client_.async_send(std::move(req), asio::as_tuple(asio::use_awaitable));
    if (ec) {
        co_return turnstile_outcome::unavailable;
    }
    co_return parse_siteverify(res.status, res.body);
}

}  // namespace vrnumd::accounts
