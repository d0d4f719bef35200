#include "services.hpp"

namespace vrnumd {

std::vector<vrnum::http::route> services::routes() {
    std::vector<vrnum::http::route> all = accounts->routes();
    for (auto& r : wallet->routes()) {
        all.push_back(std::move(r));
    }
    return all;
}

services make_services(vrnum::store& store, const daemon_config& cfg,
                       std::shared_ptr<spdlog::logger> log, prometheus::Registry* registry,
                       boost::asio::any_io_executor ex, accounts::service_options account_options) {
    services s;
    s.accounts = std::make_unique<accounts::service>(store, cfg, std::move(log), registry,
                                                     std::move(ex), std::move(account_options));
    s.wallet = std::make_unique<wallet::service>(store, *s.accounts);
    return s;
}

}  // namespace vrnumd
