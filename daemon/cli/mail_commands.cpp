#include "cli/mail_commands.hpp"

#include <ostream>

#include <spdlog/logger.h>

#include <vrnum/log.hpp>
#include <vrnum/store.hpp>

#include "cli/store_commands.hpp"
#include "mail/mail_setup.hpp"
#include "mail/outbox_store.hpp"
#include "store_sync.hpp"

namespace vrnumd {

int run_mail_test(const daemon_config& cfg, const std::string& to, std::ostream& out,
                  std::ostream& err) {
    if (!mail::valid_address(to)) {
        err << "vrnumd: --to: not an e-mail address: " << to << std::endl;
        return 2;
    }
    auto log = vrnum::make_logger(cfg.lib.log, cfg.retention.server_log_days);
    auto st = open_command_store(cfg, log);
    auto m = mail::make_mailer(cfg, *st, log, mail::link_base_url(cfg.lib));
    std::int64_t id = 0;
    write_sync(
        *st,
        [&](vrnum::write_txn& txn) {
            id = m->enqueue(txn, {to, "test_message", {}, std::nullopt});
        },
        "cannot queue the mail");
    out << "queued mail " << id << " (transport " << m->transport_name()
        << "); a running vrnumd sends it within seconds: see `vrnumd mail status`" << std::endl;
    return 0;
}

int run_mail_status(const daemon_config& cfg, std::ostream& out) {
    auto log = vrnum::make_stderr_logger(cfg.lib.log.level);
    auto st = open_command_store(cfg, log);
    mail::outbox_counts counts;
    std::vector<mail::mail_status> dead;
    read_sync(
        *st,
        [&](vrnum::read_txn& txn) {
            counts = mail::count_mail(txn);
            txn.query("SELECT id FROM mail_outbox WHERE status = 'dead' ORDER BY id DESC LIMIT 20",
                      {}, [&](const vrnum::sql_row& r) {
                          if (auto s = mail::mail_state(txn, r.get_int(0))) {
                              dead.push_back(std::move(*s));
                          }
                      });
        },
        "cannot read the outbox");
    out << "queued " << counts.queued << ", sent " << counts.sent << ", dead " << counts.dead
        << "\n";
    for (const auto& d : dead) {
        out << "dead " << d.id << " " << d.template_name << " after " << d.attempts << " attempt"
            << (d.attempts == 1 ? "" : "s") << ": " << d.last_error << "\n";
    }
    out.flush();
    return 0;
}

}  // namespace vrnumd
