#include "mail/mail_setup.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <spdlog/logger.h>

#include "log/json_log.hpp"
#include "mail/file_transport.hpp"
#include "mail/ses_transport.hpp"

namespace vrnumd::mail {

std::string link_base_url(const vrnum::config& lib, std::string_view bound_address) {
    std::string url = lib.server.public_base_url;
    if (url.empty()) {
        url = (lib.server.tls.enabled() ? "https://" : "http://") +
              std::string(bound_address.empty() ? lib.server.listen : bound_address);
    }
    while (!url.empty() && url.back() == '/') {
        url.pop_back();
    }
    return url;
}

bool loopback_url(std::string_view url) {
    auto u = boost::urls::parse_uri(url);
    if (!u) {
        return false;
    }
    std::string host = u->host_address();
    if (host == "localhost") {
        return true;
    }
    boost::system::error_code ec;
    auto addr = boost::asio::ip::make_address(host, ec);
    return !ec && addr.is_loopback();
}

std::unique_ptr<mailer> make_mailer(const daemon_config& cfg, vrnum::store& store,
                                    std::shared_ptr<spdlog::logger> log, std::string base_url,
                                    std::shared_ptr<prometheus::Registry> registry) {
    std::optional<mailbox> from = parse_mailbox(cfg.mail.from);
    if (!from) {
        throw std::runtime_error("mail.from: not an address: " + cfg.mail.from);
    }
    mailer_options opts;
    opts.registry = std::move(registry);
    mailer::transport_factory make;
    if (cfg.mail.transport == mail_transport::ses) {
        // An attempt holds its row for longer than an SES call can take.
        opts.lease = std::chrono::seconds(2 * cfg.http_client.timeout_seconds + 10);
        if (cfg.mail.ses.endpoint.starts_with("http://") && !loopback_url(cfg.mail.ses.endpoint)) {
            vrnum::detail::log_event(*log, spdlog::level::warn,
                                     "mail.ses.endpoint is plain http: mail crosses the network "
                                     "unencrypted");
        }
        make = [&cfg](boost::asio::any_io_executor ex) {
            return make_ses_transport(std::move(ex), cfg.mail.ses, cfg.http_client);
        };
    } else {
        opts.lease = std::chrono::seconds(30);
        make = [dir = cfg.mail.file.dir](boost::asio::any_io_executor) {
            return make_file_transport(dir);
        };
        if (!loopback_url(base_url)) {
            vrnum::detail::log_event(
                *log, spdlog::level::warn,
                "mail.transport is file: mail is written to files and never leaves this machine",
                {{"dir", cfg.mail.file.dir.string()}});
        }
    }
    site_values site{cfg.site.name, std::move(base_url), cfg.site.contacts.support,
                     cfg.site.contacts.privacy};
    return std::make_unique<mailer>(store, make, template_set::builtin(), std::move(*from),
                                    std::move(site), std::move(log), std::move(opts));
}

}  // namespace vrnumd::mail
