#include "services.hpp"

namespace vrnumd {

std::vector<vrnum::http::route> services::routes() {
    std::vector<vrnum::http::route> all = accounts->routes();
    for (auto&& more : {wallet->routes(), payments->routes(), numbers->routes(), inbox->routes()}) {
        all.insert(all.end(), more.begin(), more.end());
    }
    return all;
}

void services::attach(mail::mailer* m, const std::string& base_url) {
    accounts->attach(m, base_url);
    payments->attach(base_url);
}

services make_services(vrnum::store& store, const daemon_config& cfg,
                       std::shared_ptr<spdlog::logger> log, prometheus::Registry* registry,
                       boost::asio::any_io_executor ex, accounts::service_options account_options,
                       numbers::service_options number_options) {
    services s;
    s.accounts = std::make_unique<accounts::service>(store, cfg, log, registry, ex,
                                                     std::move(account_options));
    s.wallet = std::make_unique<wallet::service>(store, *s.accounts);
    s.payments = std::make_unique<payments::service>(store, cfg, *s.accounts, log, registry, ex);
    s.numbers = std::make_unique<numbers::service>(store, cfg, *s.accounts, log, ex,
                                                   std::move(number_options));
    s.inbox = std::make_unique<numbers::inbox_service>(store, *s.accounts, log);
    return s;
}

}  // namespace vrnumd
