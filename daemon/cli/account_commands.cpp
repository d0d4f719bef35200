#include "cli/account_commands.hpp"

#include <algorithm>
#include <ostream>

#include <boost/json/serialize.hpp>
#include <fcntl.h>
#include <spdlog/logger.h>
#include <unistd.h>

#include <vrnum/time.hpp>

#include "accounts/account_store.hpp"
#include "cli/store_commands.hpp"
#include "mail/mail_setup.hpp"
#include "store_sync.hpp"

namespace vrnumd {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// How long a command waits for the deletion notice it queued to leave.
constexpr std::chrono::seconds command_notice_wait{20};

void write_private_file(const std::string& path, const std::string& text) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        throw std::runtime_error("cannot write " + path);
    }
    std::size_t done = 0;
    while (done < text.size()) {
        ssize_t n = ::write(fd, text.data() + done, text.size() - done);
        if (n <= 0) {
            ::close(fd);
            throw std::runtime_error("cannot write " + path);
        }
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        throw std::runtime_error("cannot write " + path);
    }
}

}  // namespace

account_context::account_context(const daemon_config& cfg)
    : log(command_logger(cfg)), store(open_command_store(cfg, log)) {
    std::string base = mail::link_base_url(cfg.lib);
    mailer = mail::make_mailer(cfg, *store, log, base);
    mailer->start();
    accounts::service_options o;
    o.notice_wait = command_notice_wait;
    all = make_services(*store, cfg, log, nullptr, io.get_executor(), o);
    service = all.accounts.get();
    all.attach(mailer.get(), base);
}

account_context::~account_context() {
    all = {};
    mailer->stop();
}

int run_accounts_find(const daemon_config& cfg, const std::string& email, std::ostream& out) {
    account_context ctx(cfg);
    auto a = ctx.service->find(email);
    audit(*ctx.log, "accounts find", {{"found", a.has_value()}});
    if (!a) {
        out << "no account has this address" << std::endl;
        return exit_failure;
    }
    out << "account " << a->id << "\n"
        << "created " << vrnum::format_rfc3339(a->created_at) << "\n"
        << "email confirmed " << (a->email_confirmed ? "yes" : "no") << "\n"
        << "marketing opt-in " << (a->marketing_opt_in ? "yes" : "no") << "\n"
        << "deletion asked "
        << (a->deletion_requested_at ? vrnum::format_rfc3339(*a->deletion_requested_at) : "no")
        << std::endl;
    return exit_ok;
}

int run_accounts_export(const daemon_config& cfg, const std::string& email,
                        const std::string& out_file, std::ostream& out) {
    account_context ctx(cfg);
    auto a = ctx.service->find(email);
    std::optional<boost::json::object> doc;
    if (a) {
        doc = ctx.service->export_account(a->id);
    }
    audit(*ctx.log, "accounts export",
          {{"account_id", a ? boost::json::value(a->id) : boost::json::value(nullptr)}});
    if (!doc) {
        out << "no account has this address" << std::endl;
        return exit_failure;
    }
    std::string text = boost::json::serialize(*doc) + "\n";
    if (out_file.empty()) {
        out << text << std::flush;
    } else {
        write_private_file(out_file, text);
        out << "wrote the export of account " << a->id << " to " << out_file << std::endl;
    }
    return exit_ok;
}

int run_accounts_delete(const daemon_config& cfg, const std::string& email, bool now,
                        std::ostream& out) {
    account_context ctx(cfg);
    auto a = ctx.service->find(email);
    audit(*ctx.log, now ? "accounts delete --now" : "accounts delete",
          {{"account_id", a ? boost::json::value(a->id) : boost::json::value(nullptr)}});
    if (!a) {
        out << "no account has this address" << std::endl;
        return exit_failure;
    }
    if (now) {
        out << "sending the deletion notice, then erasing account " << a->id << std::endl;
        if (!ctx.service->erase_now(a->id)) {
            // Another eraser (the daemon's job, a second command) finished it first.
            out << "account " << a->id << " was erased meanwhile by another process" << std::endl;
            return exit_ok;
        }
        out << "erased account " << a->id << std::endl;
        if (!ctx.service->wal_clean()) {
            out << "the write-ahead log still holds pages of it (another process kept it "
                   "busy): run vrnumd purge"
                << std::endl;
            return exit_failure;
        }
        return exit_ok;
    }
    vrnum::unix_ms at = ctx.service->schedule_erasure(a->id);
    out << "account " << a->id << " will be erased at " << vrnum::format_rfc3339(at)
        << " (the deletion mail is queued; its owner may cancel until then)" << std::endl;
    return exit_ok;
}

int run_notify_all(const daemon_config& cfg, const std::string& template_name,
                   const std::map<std::string, std::string>& params, bool marketing,
                   std::ostream& out, std::ostream& err) {
    const auto& templates = mail::template_set::builtin();
    auto names = templates.names();
    auto needed = templates.parameters(template_name);
    if (std::find(names.begin(), names.end(), template_name) == names.end()) {
        err << "vrnumd: --template: no mail template named " << template_name << std::endl;
        return exit_usage;
    }
    boost::json::object values;
    for (const auto& [k, v] : params) {
        values[k] = v;
    }
    std::string missing;
    for (const auto& n : needed) {
        if (!values.contains(n)) {
            missing += (missing.empty() ? "" : ", ") + n;
        }
    }
    if (!missing.empty()) {
        err << "vrnumd: template " << template_name << " needs --param for: " << missing
            << std::endl;
        return exit_usage;
    }
    account_context ctx(cfg);
    std::vector<std::int64_t> ids;
    read_sync(
        *ctx.store, [&](vrnum::read_txn& txn) { ids = accounts::account_ids(txn, marketing); },
        "cannot read the accounts");
    // In chunks: each a short write, so that webhooks keep flowing while thousands queue.
    constexpr std::size_t chunk = 200;
    std::size_t queued = 0;
    for (std::size_t i = 0; i < ids.size(); i += chunk) {
        write_sync(
            *ctx.store,
            [&](vrnum::write_txn& txn) {
                for (std::size_t j = i; j < std::min(ids.size(), i + chunk); ++j) {
                    if (auto a = accounts::load_account(txn, ids[j])) {
                        ctx.mailer->enqueue(txn, {a->email, template_name, values, a->id});
                        ++queued;
                    }
                }
            },
            "cannot queue the notices");
        out << "queued " << queued << " of " << ids.size() << std::endl;
    }
    ctx.mailer->wake();
    audit(*ctx.log, "notify-all",
          {{"template", template_name}, {"marketing", marketing}, {"queued", queued}});
    out << "queued " << template_name << " to " << queued << " account" << (queued == 1 ? "" : "s")
        << "; see `vrnumd mail status`" << std::endl;
    return exit_ok;
}

}  // namespace vrnumd
