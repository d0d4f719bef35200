#include "cli/store_commands.hpp"

#include <iomanip>
#include <ostream>
#include <sstream>

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <spdlog/logger.h>

#include <vrnum/log.hpp>
#include <vrnum/store.hpp>
#include <vrnum/time.hpp>

#include "cli/account_commands.hpp"
#include "mail/mail_setup.hpp"
#include "schema.hpp"

namespace vrnumd {

std::shared_ptr<spdlog::logger> command_logger(const daemon_config& cfg) {
    return vrnum::make_logger(cfg.lib.log, cfg.retention.server_log_days);
}

void audit(spdlog::logger& log, std::string_view what, boost::json::object fields) {
    fields["ts"] = vrnum::format_rfc3339(vrnum::now_unix_ms());
    fields["level"] = "info";
    fields["msg"] = "audit: " + std::string(what);
    fields["user"] = std::getenv("USER") ? std::getenv("USER") : "";
    log.info("{}", boost::json::serialize(fields));
    log.flush();
}

namespace {

std::string one_line(std::string_view text) {
    std::string out;
    for (char c : text) {
        out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
    }
    return out;
}

void print_json(std::ostream& out, const vrnum::stored_message& m) {
    boost::json::object o;
    o["id"] = m.id;
    o["source"] = m.source;
    o["provider_message_id"] = m.provider_id;
    o["from"] = m.from;
    o["to"] = m.to;
    o["text"] = m.text;
    o["received_at"] = vrnum::format_rfc3339(m.received_at);
    o["sent_at"] = m.sent_at ? boost::json::value(vrnum::format_rfc3339(*m.sent_at))
                             : boost::json::value(nullptr);
    o["partial"] = m.partial;  // joined from the parts that came before the multipart timeout
    out << boost::json::serialize(o) << "\n";
}

}  // namespace

std::shared_ptr<vrnum::store> open_command_store(const daemon_config& cfg,
                                                 std::shared_ptr<spdlog::logger> log) {
    // Re-sealing after a rotation is the running daemon's job: a one-off command must not
    // re-seal rows under a key the daemon does not hold yet.
    return vrnum::store::open(cfg.lib.store, {.logger = std::move(log),
                                              .migrations = daemon_migrations(),
                                              .sealed = daemon_sealed_tables(),
                                              .reseal = false});
}

int run_migrate(const daemon_config& cfg, std::ostream& out) {
    int applied = vrnum::store::migrate(cfg.lib.store, daemon_migrations());
    out << cfg.lib.store.path.string() << ": " << applied << " migration"
        << (applied == 1 ? "" : "s") << " applied" << std::endl;
    return 0;
}

int run_messages_list(const daemon_config& cfg, const list_options& opts, std::ostream& out,
                      std::ostream& err) {
    vrnum::message_query q;
    q.source = opts.source;
    q.to = opts.to;
    if (opts.since) {
        q.since = vrnum::parse_rfc3339(*opts.since);
        if (!q.since) {
            err << "vrnumd: --since: expected an RFC 3339 time such as 2026-01-31T00:00:00Z, got \""
                << *opts.since << "\"" << std::endl;
            return 2;
        }
    }
    auto log = command_logger(cfg);
    auto st = open_command_store(cfg, log);
    std::size_t count = 0;
    if (!opts.json) {
        out << std::left << std::setw(8) << "ID" << std::setw(26) << "RECEIVED" << std::setw(12)
            << "SOURCE" << std::setw(18) << "FROM" << std::setw(18) << "TO"
            << "TEXT\n";
    }
    for (;;) {
        q.limit = 1000;
        auto page = st->list(q);
        for (const auto& m : page) {
            if (opts.json) {
                print_json(out, m);
            } else {
                out << std::left << std::setw(8) << m.id << std::setw(26)
                    << vrnum::format_rfc3339(m.received_at) << std::setw(12) << m.source
                    << std::setw(18) << m.from << std::setw(18) << m.to
                    << (m.partial ? "[partial] " : "") << one_line(m.text) << "\n";
            }
        }
        count += page.size();
        if (page.size() < q.limit) {
            break;
        }
        q.after_id = page.back().id;
    }
    out.flush();
    // The audit line records that the decrypted store was read, and with which filters.
    audit(*log, "messages list",
          {{"filters",
            {{"source", opts.source ? *opts.source : ""},
             {"to", opts.to ? *opts.to : ""},
             {"since", opts.since ? *opts.since : ""}}},
           {"messages", count}});
    return 0;
}

int run_purge(const daemon_config& cfg, std::ostream& out) {
    account_context ctx(cfg);  // its logger also deletes log files past server_log_days
    auto cutoff =
        vrnum::now_unix_ms() - static_cast<vrnum::unix_ms>(cfg.retention.sms_days) * 86'400'000;
    std::size_t n = ctx.store->purge_before(cutoff);
    out << "purged " << n << " message" << (n == 1 ? "" : "s") << " older than "
        << cfg.retention.sms_days << " day" << (cfg.retention.sms_days == 1 ? "" : "s")
        << std::endl;
    std::size_t mails = ctx.mailer->purge_finished();
    out << "purged " << mails << " sent or dead mail" << (mails == 1 ? "" : "s")
        << " finished more than " << mail::mailer_options{}.keep_finished.count() / 24
        << " days ago" << std::endl;
    std::size_t erased = ctx.service->erase_due();
    out << "erased " << erased << " account" << (erased == 1 ? "" : "s") << " whose deletion was "
        << "asked " << cfg.retention.account_deletion_days << " day"
        << (cfg.retention.account_deletion_days == 1 ? "" : "s") << " ago or more" << std::endl;
    std::size_t expired = ctx.service->purge_expired();
    out << "purged " << expired << " expired session" << (expired == 1 ? "" : "s")
        << " and link token" << (expired == 1 ? "" : "s") << std::endl;
    // Always, not only after this run's deletions: an earlier erasure's truncation may be
    // owed (another process kept the log busy then).
    if (!ctx.store->checkpoint()) {
        out << "the write-ahead log is held by another process: pages of purged or erased "
               "rows may still be in it; run vrnumd purge again"
            << std::endl;
        return 1;
    }
    return 0;
}

namespace {

std::string key_hex(std::uint32_t id) {
    std::ostringstream s;
    s << std::hex << std::setw(8) << std::setfill('0') << id;
    return s.str();
}

}  // namespace

int run_keys_rotate(const daemon_config& cfg, std::ostream& out) {
    auto log = command_logger(cfg);
    const std::uint32_t id = vrnum::store::add_key(cfg.lib.store);
    audit(*log, "keys rotate", {{"key_id", key_hex(id)}});
    out << "added key " << key_hex(id) << " to " << cfg.lib.store.key_file.string()
        << "; it seals new messages after the next start of vrnumd, which also re-seals the "
           "older ones (see `vrnumd keys status`). Back up the key file now."
        << std::endl;
    return 0;
}

int run_keys_status(const daemon_config& cfg, std::ostream& out) {
    auto keys = vrnum::store::key_status(cfg.lib.store, daemon_sealed_tables());
    out << std::left << std::setw(10) << "key id" << std::setw(10) << "in file" << std::setw(10)
        << "current"
        << "rows\n";
    for (const auto& k : keys) {
        out << std::setw(10) << key_hex(k.key_id) << std::setw(10) << (k.in_file ? "yes" : "NO")
            << std::setw(10) << (k.current ? "yes" : "") << k.rows << "\n";
    }
    out.flush();
    // A key id that rows use but the file lacks means those rows cannot be opened.
    for (const auto& k : keys) {
        if (!k.in_file && k.rows > 0) {
            return 1;
        }
    }
    return 0;
}

}  // namespace vrnumd
