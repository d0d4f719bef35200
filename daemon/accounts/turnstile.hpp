#pragma once
/// \file
/// Cloudflare Turnstile: checks the token a browser solved against `auth.turnstile`'s
/// siteverify URL with the secret and the client's IP. Fails closed: a token is good only
/// when siteverify says so.

#include <string>
#include <string_view>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "accounts/turnstile_answer.hpp"
#include "config/daemon_config.hpp"
#include "net/http_client.hpp"

namespace vrnumd::accounts {

/// Owned by the accounts service; `verify` may run on any thread at once.
class turnstile_verifier {
  public:
    /// Requests run on `ex`. Throws std::runtime_error for an unusable `http_client.ca_file`.
    turnstile_verifier(boost::asio::any_io_executor ex, turnstile_config cfg,
                       const http_client_config& http);
    /// False when `auth.turnstile.secret` is empty: then no check is made.
    bool enabled() const noexcept { return !cfg_.secret.empty(); }
    /// Asks siteverify about `token` from `client_ip`. With the check off: `passed`.
    boost::asio::awaitable<turnstile_outcome> verify(const std::string& token,
                                                     const std::string& client_ip);

  private:
    turnstile_config cfg_;
    net::http_client client_;
};

}  // namespace vrnumd::accounts
