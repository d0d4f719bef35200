#pragma once
/// \file
/// vrnumd's services, built one way for `serve` and for the commands, so that the parts they
/// lend each other (the wallet's export section and erasure step, given to the accounts
/// service) are always in place.

#include <memory>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "config/daemon_config.hpp"
#include "numbers/inbox.hpp"
#include "numbers/numbers_service.hpp"
#include "payments/payments_service.hpp"
#include "wallet/wallet_service.hpp"

namespace vrnumd {

/// The services over one store. Destroyed in reverse order; they must outlive the requests
/// their routes serve.
struct services {
    std::unique_ptr<accounts::service> accounts;
    std::unique_ptr<wallet::service> wallet;
    std::unique_ptr<payments::service> payments;
    std::unique_ptr<numbers::service> numbers;
    std::unique_ptr<numbers::inbox_service> inbox;

    /// Every service's routes.
    std::vector<vrnum::http::route> routes();
    /// Makes them ready to serve: `m` sends their mail, `base_url` is the site's public base
    /// URL (links, CSRF's origin, Cryptomus's callback). Once, before serving.
    void attach(mail::mailer* m, const std::string& base_url);
};

/// Builds the services; `registry` (optional) gets their metrics; outbound requests run on
/// `ex`. The accounts service still needs `attach` (mailer, base URL) before it serves.
services make_services(vrnum::store& store, const daemon_config& cfg,
                       std::shared_ptr<spdlog::logger> log, prometheus::Registry* registry,
                       boost::asio::any_io_executor ex,
                       accounts::service_options account_options = {},
                       numbers::service_options number_options = {});

}  // namespace vrnumd
