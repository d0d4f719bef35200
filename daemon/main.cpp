// vrnumd: parse the command line, load the configuration, wire the modules, run.
// Exit codes: 0 success, 1 failure (an invalid configuration included), 2 bad command line.

#include <csignal>
#include <cstdio>
#include <exception>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>
#include <pthread.h>
#ifdef VRNUM_WITH_MIMALLOC
#include <mimalloc.h>
#endif
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/gateway.hpp>
#include <vrnum/log.hpp>
#include <vrnum/version.hpp>

#include "accounts/service.hpp"
#include "cli/account_commands.hpp"
#include "cli/mail_commands.hpp"
#include "cli/simulate.hpp"
#include "cli/store_commands.hpp"
#include "cli/wallet_commands.hpp"
#include "config/daemon_config.hpp"
#include "mail/mail_setup.hpp"
#include "periodic_job.hpp"
#include "schema.hpp"
#include "services.hpp"

namespace {

namespace net = boost::asio;

constexpr int exit_ok = 0;
constexpr int exit_failure = 1;
constexpr int exit_usage = 2;

// The services with their routes added to the gateway: what `serve` runs and `routes` lists.
vrnumd::services add_service_routes(vrnum::gateway& gw, const vrnumd::daemon_config& cfg,
                                    std::shared_ptr<spdlog::logger> log,
                                    prometheus::Registry* registry, net::any_io_executor ex) {
    auto s = vrnumd::make_services(gw.message_store(), cfg, std::move(log), registry, ex);
    gw.add_routes(s.routes());
    return s;
}

int serve(const vrnumd::daemon_config& cfg) {
    auto log = vrnum::make_logger(cfg.lib.log, cfg.retention.server_log_days);
    unsigned threads = cfg.lib.server.threads;
    if (threads == 0) {
        threads = std::max(1U, std::thread::hardware_concurrency());
    }
    // One io_context per I/O thread: a connection stays on one thread and needs no strand.
    // The first also carries the listeners and the signals.
    net::io_context ioc(1);
    std::vector<std::unique_ptr<net::io_context>> extra;
    std::vector<net::io_context*> io_contexts{&ioc};
    for (unsigned i = 1; i < threads; ++i) {
        io_contexts.push_back(extra.emplace_back(std::make_unique<net::io_context>(1)).get());
    }
    auto registry = std::make_shared<prometheus::Registry>();
    vrnum::gateway gw(ioc, cfg.lib,
                      {.logger = log,
                       .registry = registry,
                       .migrations = vrnumd::daemon_migrations(),
                       .sealed = vrnumd::daemon_sealed_tables(),
                       .sms_retention_days = cfg.retention.sms_days,
                       .io_contexts = io_contexts});
    auto svc = add_service_routes(gw, cfg, log, registry.get(), ioc.get_executor());
    auto& accounts = svc.accounts;
    gw.start();
    // The links' base may name the port just bound.
    std::string base_url = vrnumd::mail::link_base_url(cfg.lib, gw.listen_address());
    // Stopped on SIGTERM before the gateway's drain closes the store (and destroyed first).
    auto mail = vrnumd::mail::make_mailer(cfg, gw.message_store(), log, base_url, registry);
    svc.attach(mail.get(), base_url);
    mail->start();
    vrnumd::periodic_job account_jobs(
        "accounts", std::chrono::minutes(10),
        [&](const std::stop_token& stop) {
            accounts->erase_due(stop);
            accounts->purge_expired();
        },
        log);
    // Invoices whose creation at Cryptomus was never recorded (a stop between the two).
    vrnumd::periodic_job payment_jobs(
        "payments", std::chrono::minutes(5),
        [&](const std::stop_token& stop) {
            svc.payments->recover_invoices(std::chrono::minutes(5), stop);
        },
        log);
    // Expiry warnings, auto-renewal, release into quarantine and back, provisioning retries.
    vrnumd::periodic_job number_jobs(
        "numbers", std::chrono::minutes(5),
        [&](const std::stop_token& stop) { svc.numbers->run_jobs(stop); }, log);
    gw.set_ready(true);

    // The workers wait for connections until the drain is over.
    std::vector<net::executor_work_guard<net::io_context::executor_type>> idle_work;
    for (auto& c : extra) {
        idle_work.push_back(net::make_work_guard(*c));
    }
    auto stop_all = [&] {
        for (auto* c : io_contexts) {
            c->stop();
        }
    };

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    bool stopping = false;
    std::jthread stopper;
    std::function<void(const boost::system::error_code&, int)> on_signal =
        [&](const boost::system::error_code& ec, int) {
            if (ec) {
                return;
            }
            if (stopping) {
                stop_all();  // a second signal: stop waiting for the drain
                return;
            }
            stopping = true;
            signals.async_wait(on_signal);
            // Off the I/O thread: the jobs end their run (an erasure waits for its notice to
            // leave), then mail, whose attempt in flight records its result while the store
            // is open, then the gateway's drain.
            stopper = std::jthread([&] {
                account_jobs.stop();
                payment_jobs.stop();
                number_jobs.stop();
                mail->async_stop([&] {
                    net::post(ioc, [&] {
                        gw.async_shutdown([&] {
                            signals.cancel();
                            stop_all();
                        });
                    });
                });
            });
        };
    signals.async_wait(on_signal);

    std::cout << "listening on " << gw.listen_address() << std::endl;  // flushed
    if (!gw.admin_address().empty()) {
        std::cout << "admin listening on " << gw.admin_address() << std::endl;
    }

    std::mutex failure_mutex;
    std::exception_ptr failure;
    {
        // jthreads join on every way out of this scope.
        std::vector<std::jthread> pool;
        for (std::size_t i = 0; i < extra.size(); ++i) {
            pool.emplace_back([&, c = extra[i].get(), name = "vrnum-io-" + std::to_string(i + 1)] {
                pthread_setname_np(pthread_self(), name.c_str());  // "vrnumd" runs the first
                try {
                    c->run();
                } catch (...) {
                    // Ends the daemon as it would on the main thread, once every thread is out.
                    std::lock_guard lock(failure_mutex);
                    failure = std::current_exception();
                    stop_all();
                }
            });
        }
        try {
            ioc.run();
        } catch (...) {
            stop_all();  // let the pool finish so that the threads can join
            throw;
        }
    }
    if (failure) {
        std::rethrow_exception(failure);
    }
    log->flush();
    return exit_ok;
}

// `vrnumd routes`: every METHOD and path template the daemon serves, one a line.
int print_routes(const vrnumd::daemon_config& cfg) {
    net::io_context ioc;
    auto log = vrnum::make_stderr_logger(cfg.lib.log.level);
    vrnum::gateway gw(ioc, cfg.lib,
                      {.logger = log,
                       .migrations = vrnumd::daemon_migrations(),
                       .sealed = vrnumd::daemon_sealed_tables()});
    auto services = add_service_routes(gw, cfg, log, nullptr, ioc.get_executor());
    for (const auto& [method, pattern] : gw.routes()) {
        std::cout << method << " " << pattern << "\n";
    }
    std::cout.flush();
    return exit_ok;
}

int check_config(const vrnumd::daemon_config& cfg) {
    std::cout << cfg.lib.file.string() << ": OK (" << cfg.lib.sources.size() << " source"
              << (cfg.lib.sources.size() == 1 ? "" : "s") << ")" << std::endl;
    return exit_ok;
}

// The allocator that serves malloc in this process: mimalloc when the build links it and the
// override took (a preloaded allocator or a sanitizer would win over it), else the system's.
std::string allocator_name() {
#ifdef VRNUM_WITH_MIMALLOC
    std::unique_ptr<char[]> probe(new char[64]);
    if (mi_is_in_heap_region(probe.get())) {
        int v = mi_version();  // e.g. 209 for 2.0.9
        return "mimalloc " + std::to_string(v / 100) + "." + std::to_string(v / 10 % 10) + "." +
               std::to_string(v % 10);
    }
#endif
    return "system";
}

int print_version() {
    for (const auto& [name, ver] : vrnum::component_versions()) {
        std::cout << name << " " << ver << "\n";
    }
    std::cout << "allocator " << allocator_name() << "\n";
    return exit_ok;
}

// Every subcommand takes -c FILE.
CLI::App* command(CLI::App& app, const std::string& name, const std::string& help,
                  std::string& config_path) {
    CLI::App* sub = app.add_subcommand(name, help);
    sub->add_option("-c,--config", config_path, "configuration file")->capture_default_str();
    return sub;
}

}  // namespace

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    CLI::App app{"vrnumd: SMS gateway and virtual-number service", "vrnumd"};
    app.require_subcommand(1);
    std::string config_path = "conf/vrnum.yaml";
    CLI::App* serve_cmd =
        command(app, "serve", "run the gateway and the service endpoints", config_path);
    CLI::App* check_cmd =
        command(app, "check-config", "validate the configuration file", config_path);
    CLI::App* version_cmd = command(app, "version", "print versions", config_path);
    CLI::App* routes_cmd =
        command(app, "routes", "list the HTTP routes served (method and path)", config_path);
    CLI::App* migrate_cmd = command(app, "migrate", "apply schema migrations", config_path);
    CLI::App* purge_cmd = command(app, "purge", "run every retention job once, now", config_path);
    CLI::App* messages_cmd = app.add_subcommand("messages", "stored messages");
    messages_cmd->require_subcommand(1);
    CLI::App* list_cmd =
        command(*messages_cmd, "list", "stored messages, decrypted, oldest first", config_path);
    vrnumd::list_options list_opts;
    list_cmd->add_option("--source", list_opts.source, "only this source id");
    list_cmd->add_option("--to", list_opts.to, "only messages to this number");
    list_cmd->add_option("--since", list_opts.since, "only messages received since (RFC 3339)");
    list_cmd->add_flag("--json", list_opts.json, "one JSON object a line");
    CLI::App* keys_cmd = app.add_subcommand("keys", "the store's sealing keys");
    keys_cmd->require_subcommand(1);
    CLI::App* rotate_cmd =
        command(*keys_cmd, "rotate",
                "add a new current key; older rows are re-sealed in the background", config_path);
    CLI::App* key_status_cmd =
        command(*keys_cmd, "status", "the keys and how many rows each seals", config_path);
    CLI::App* simulate_cmd = command(
        app, "simulate", "post correctly signed demo webhooks to the running daemon", config_path);
    vrnumd::simulate_options sim_opts;
    simulate_cmd->add_option("--source", sim_opts.source, "a configured source id")->required();
    simulate_cmd->add_option("--count", sim_opts.count, "how many messages")
        ->check(CLI::Range(1U, 100000U))
        ->capture_default_str();
    simulate_cmd->add_option("--address", sim_opts.address,
                             "HOST:PORT to post to (default: server.listen)");
    simulate_cmd
        ->add_option("--signing-key", sim_opts.signing_key,
                     "PEM Ed25519 private key to sign with, for telnyx and public-key-only "
                     "standard-webhooks sources (its public half must be configured)")
        ->check(CLI::ExistingFile);
    CLI::App* mail_cmd = app.add_subcommand("mail", "the outbox of transactional mail");
    mail_cmd->require_subcommand(1);
    CLI::App* mail_test_cmd =
        command(*mail_cmd, "test", "queue a test mail; the running daemon sends it", config_path);
    std::string mail_to;
    mail_test_cmd->add_option("--to", mail_to, "the address to send it to")->required();
    CLI::App* mail_status_cmd =
        command(*mail_cmd, "status", "queued, sent and dead mails, and why", config_path);
    CLI::App* accounts_cmd =
        app.add_subcommand("accounts", "the operator's side of privacy requests");
    accounts_cmd->require_subcommand(1);
    std::string account_email;
    CLI::App* find_cmd =
        command(*accounts_cmd, "find", "whether an account has this address", config_path);
    find_cmd->add_option("EMAIL", account_email, "the address")->required();
    CLI::App* export_cmd =
        command(*accounts_cmd, "export", "everything held about the account, as JSON", config_path);
    export_cmd->add_option("EMAIL", account_email, "the address")->required();
    std::string export_out;
    export_cmd->add_option("--out", export_out, "write to this file (mode 0600), not stdout");
    CLI::App* delete_cmd = command(
        *accounts_cmd, "delete",
        "schedule the account's erasure after retention.account_deletion_days", config_path);
    delete_cmd->add_option("EMAIL", account_email, "the address")->required();
    bool delete_now = false;
    delete_cmd->add_flag("--now", delete_now, "erase at once (e.g. a minor's account)");
    CLI::App* wallet_cmd = app.add_subcommand("wallet", "the customers' wallets");
    wallet_cmd->require_subcommand(1);
    CLI::App* adjust_cmd = command(
        *wallet_cmd, "adjust",
        "credit (refund) or debit (dispute) a wallet, as a ledger transaction", config_path);
    std::string adjust_email;
    std::int64_t adjust_amount = 0;
    std::string adjust_reason;
    adjust_cmd->add_option("EMAIL", adjust_email, "the account's address")->required();
    adjust_cmd->add_option("AMOUNT_MINOR", adjust_amount, "cents; negative to debit")
        ->required()
        ->check(CLI::Range(-100'000'000LL, 100'000'000LL));
    adjust_cmd->add_option("--reason", adjust_reason, "why, kept with the transaction")->required();
    CLI::App* audit_cmd =
        command(*wallet_cmd, "audit", "check that the ledger balances (exit 1 when it does not)",
                config_path);
    CLI::App* stats_cmd =
        command(app, "stats", "rentals and renewals per day and country (aggregates, no accounts)",
                config_path);
    unsigned stats_days = 30;
    stats_cmd->add_option("--days", stats_days, "how many days back (default 30)")
        ->check(CLI::Range(1U, 3660U));
    bool stats_json = false;
    stats_cmd->add_flag("--json", stats_json, "one JSON document");
    CLI::App* notify_cmd =
        command(app, "notify-all", "queue a transactional notice to every account", config_path);
    std::string notify_template;
    notify_cmd->add_option("--template", notify_template, "a mail template's name")->required();
    std::vector<std::string> notify_params;
    notify_cmd->add_option("--param", notify_params, "a template value, KEY=VALUE (repeatable)");
    bool notify_marketing = false;
    notify_cmd->add_flag("--marketing", notify_marketing,
                         "marketing mail: only to the accounts that opted in");
    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        app.exit(e);
        return exit_usage;
    }

    if (version_cmd->parsed()) {
        return print_version();
    }
    try {
        vrnumd::daemon_config cfg = vrnumd::load_daemon_config(config_path);
        if (check_cmd->parsed()) {
            return check_config(cfg);
        }
        if (serve_cmd->parsed()) {
            return serve(cfg);
        }
        if (routes_cmd->parsed()) {
            return print_routes(cfg);
        }
        if (migrate_cmd->parsed()) {
            return vrnumd::run_migrate(cfg, std::cout);
        }
        if (purge_cmd->parsed()) {
            return vrnumd::run_purge(cfg, std::cout);
        }
        if (simulate_cmd->parsed()) {
            return vrnumd::run_simulate(cfg, sim_opts, std::cout, std::cerr);
        }
        if (rotate_cmd->parsed()) {
            return vrnumd::run_keys_rotate(cfg, std::cout);
        }
        if (key_status_cmd->parsed()) {
            return vrnumd::run_keys_status(cfg, std::cout);
        }
        if (mail_test_cmd->parsed()) {
            return vrnumd::run_mail_test(cfg, mail_to, std::cout, std::cerr);
        }
        if (mail_status_cmd->parsed()) {
            return vrnumd::run_mail_status(cfg, std::cout);
        }
        if (find_cmd->parsed()) {
            return vrnumd::run_accounts_find(cfg, account_email, std::cout);
        }
        if (export_cmd->parsed()) {
            return vrnumd::run_accounts_export(cfg, account_email, export_out, std::cout);
        }
        if (delete_cmd->parsed()) {
            return vrnumd::run_accounts_delete(cfg, account_email, delete_now, std::cout);
        }
        if (adjust_cmd->parsed()) {
            return vrnumd::run_wallet_adjust(cfg, adjust_email, adjust_amount, adjust_reason,
                                             std::cout, std::cerr);
        }
        if (audit_cmd->parsed()) {
            return vrnumd::run_wallet_audit(cfg, std::cout);
        }
        if (stats_cmd->parsed()) {
            return vrnumd::run_stats(cfg, stats_days, stats_json, std::cout);
        }
        if (notify_cmd->parsed()) {
            std::map<std::string, std::string> params;
            for (const auto& p : notify_params) {
                auto eq = p.find('=');
                if (eq == std::string::npos || eq == 0) {
                    std::cerr << "vrnumd: --param: expected KEY=VALUE, got " << p << std::endl;
                    return exit_usage;
                }
                params[p.substr(0, eq)] = p.substr(eq + 1);
            }
            return vrnumd::run_notify_all(cfg, notify_template, params, notify_marketing, std::cout,
                                          std::cerr);
        }
        if (list_cmd->parsed()) {
            return vrnumd::run_messages_list(cfg, list_opts, std::cout, std::cerr);
        }
    } catch (const vrnum::config_error& e) {
        std::cerr << "vrnumd: " << e.what() << std::endl;
        return exit_failure;
    } catch (const std::exception& e) {
        std::cerr << "vrnumd: " << e.what() << std::endl;
        return exit_failure;
    } catch (...) {
        std::cerr << "vrnumd: unknown error" << std::endl;
        return exit_failure;
    }
    return exit_usage;
}
