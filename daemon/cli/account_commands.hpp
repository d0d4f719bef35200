#pragma once
// The operator's side of privacy requests (SPEC §2, §8) and notices to every account:
// `vrnumd accounts find/export/delete`, `vrnumd notify-all`. They work on the store whether or
// not a daemon runs; mail they queue is sent by their own mail worker while they run, and by
// the daemon otherwise.

#include <iosfwd>
#include <map>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>

#include "accounts/service.hpp"
#include "config/daemon_config.hpp"
#include "mail/mailer.hpp"
#include "services.hpp"

namespace spdlog {
class logger;
}

namespace vrnumd {

/// What an accounts command works with: the store, a started mailer, the accounts service.
/// Owned by the command; destroyed in reverse order of construction.
struct account_context {
    explicit account_context(const daemon_config& cfg);
    ~account_context();
    std::shared_ptr<spdlog::logger> log;
    std::shared_ptr<vrnum::store> store;
    boost::asio::io_context io;
    std::unique_ptr<mail::mailer> mailer;
    services all;                  ///< as `serve` builds them
    accounts::service* service{};  ///< `all.accounts`
};

/// `vrnumd accounts find EMAIL`: whether an account has this address, and its state.
int run_accounts_find(const daemon_config& cfg, const std::string& email, std::ostream& out);
/// `vrnumd accounts export EMAIL [--out FILE]`: the account's export document (SPEC §5) on
/// stdout or into FILE (mode 0600).
int run_accounts_export(const daemon_config& cfg, const std::string& email,
                        const std::string& out_file, std::ostream& out);
/// `vrnumd accounts delete EMAIL [--now]`: schedules the erasure as `DELETE /me` does, or
/// erases at once (`--now`, e.g. a minor's account).
int run_accounts_delete(const daemon_config& cfg, const std::string& email, bool now,
                        std::ostream& out);
/// `vrnumd notify-all --template NAME [--param KEY=VALUE]... [--marketing]`: queues the mail
/// to every account, or with `marketing` only to those that opted in to marketing mail.
int run_notify_all(const daemon_config& cfg, const std::string& template_name,
                   const std::map<std::string, std::string>& params, bool marketing,
                   std::ostream& out, std::ostream& err);

}  // namespace vrnumd
