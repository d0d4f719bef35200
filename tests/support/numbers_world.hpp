#pragma once
// vrnumd's services in this process over a store of their own, with a clock the test moves:
// the numbers' jobs (warnings, auto-renewal, expiry, quarantine, provisioning retries) run
// when the test says, as of the time it says. Requests go to the services' own route
// handlers with an API key; outbound calls (a provisioning API) go over the real network
// code to real servers on 127.0.0.1.

#include <atomic>
#include <future>
#include <memory>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

#include "accounts/account_store.hpp"
#include "accounts/credential_store.hpp"
#include "config/daemon_config.hpp"
#include "mail/mail_setup.hpp"
#include "services.hpp"
#include "store_sync.hpp"
#include "support/daemon_store.hpp"
#include "support/store_helpers.hpp"
#include "wallet/ledger.hpp"
#include "wallet/wallet_service.hpp"

namespace vrnum::test {

/// 2026-01-01T00:00:00Z.
inline constexpr vrnum::unix_ms world_start = 1'767'225'600'000;
inline constexpr vrnum::unix_ms day = 86'400'000;
inline constexpr vrnum::unix_ms hour = 3'600'000;
inline constexpr vrnum::unix_ms minute = 60'000;

class numbers_world {
  public:
    /// `extra`: YAML sections after the store, log, source and mail ones (`numbers`, ...).
    explicit numbers_world(const std::string& extra)
        : cfg_(vrnumd::load_daemon_config_string(R"(server: { listen: "127.0.0.1:0" }
store: { path: "var/vrnum.db" }
log: { dir: "var/log" }
sources:
  - { id: demo, kind: hmac, secret: "test-secret", header: X-Signature }
mail: { transport: file, file: { dir: "var/mail" } }
)" + extra,
                                                 "test.yaml", dir_.path())),
          store_(open_daemon_store(cfg_.lib.store)),
          work_(boost::asio::make_work_guard(ioc_)),
          io_([this] { ioc_.run(); }),
          svc_(vrnumd::make_services(*store_, cfg_, quiet_logger(), nullptr, ioc_.get_executor(),
                                     {}, {.clock = [this] { return now.load(); }})),
          mailer_(vrnumd::mail::make_mailer(cfg_, *store_, quiet_logger(), "http://127.0.0.1:1")) {
        svc_.attach(mailer_.get(), "http://127.0.0.1:1");
        routes_ = svc_.routes();
    }
    ~numbers_world() {
        routes_.clear();
        store_->close();  // no append reaches the inbox's hook after this
        work_.reset();
        io_.join();
        svc_.inbox.reset();
        svc_.numbers.reset();
        svc_.payments.reset();
        svc_.wallet.reset();
        svc_.accounts.reset();
        mailer_.reset();
    }

    /// A confirmed account holding `funds` cents; returns its id and API key.
    std::pair<std::int64_t, std::string> customer(const std::string& email, std::int64_t funds) {
        std::int64_t id = 0;
        std::string key;
        vrnumd::write_sync(
            *store_,
            [&](vrnum::write_txn& t) {
                id = *vrnumd::accounts::create_account(t, email, "h", {}, now.load());
                vrnumd::accounts::set_email_confirmed(t, id);
                key = vrnumd::accounts::create_api_key(t, id, "test", now.load()).second;
                if (funds > 0) {
                    vrnumd::wallet::adjust(t, id, funds, "test funds", now.load());
                }
            },
            "customer");
        return {id, key};
    }

    struct answer {
        unsigned status = 0;
        std::string body;
        boost::json::object json() const { return boost::json::parse(body).as_object(); }
    };
    /// Calls the route `method pattern` (e.g. "POST", "/api/v1/numbers/{id}/renew") with
    /// `id` as its `{id}`, the API key and `headers`.
    answer call(const std::string& method, const std::string& pattern, const std::string& key,
                const std::string& body = "", std::int64_t id = 0,
                std::vector<std::pair<std::string, std::string>> headers = {}) {
        for (auto& r : routes_) {
            if (r.method != method || r.pattern != pattern) {
                continue;
            }
            vrnum::http::request req;
            req.method = method;
            req.target = pattern;
            req.route = pattern;
            req.client_ip = "127.0.0.1";
            req.body = body;
            req.headers = std::move(headers);
            req.headers.emplace_back("Authorization", "Bearer " + key);
            if (!body.empty()) {
                req.headers.emplace_back("Content-Type", "application/json");
            }
            if (id != 0) {
                req.params["id"] = std::to_string(id);
            }
            auto res = boost::asio::co_spawn(ioc_, r.fn(req), boost::asio::use_future).get();
            return {res.status, res.body};
        }
        throw std::logic_error("no route " + method + " " + pattern);
    }

    /// Stores an SMS to `to` received now, as a verified webhook would.
    void sms(const std::string& to, const std::string& text) {
        vrnum::message m;
        m.source = "demo";
        m.provider_id = "sms-" + std::to_string(++sms_count_);
        m.from = "+447700900001";
        m.to = to;
        m.text = text;
        m.received_at = now.load();
        auto [ec, r] = append_sync(*store_, std::move(m));
        if (ec) {
            throw std::runtime_error("append: " + ec.message());
        }
    }

    std::int64_t count(const std::string& sql, std::int64_t param) {
        std::int64_t n = 0;
        vrnumd::read_sync(
            *store_,
            [&](vrnum::read_txn& t) {
                t.query(sql, {param}, [&](const vrnum::sql_row& r) { n = r.get_int(0); });
            },
            "count");
        return n;
    }
    /// Mails of `template_name` queued for account `id`.
    std::int64_t mails(const std::string& template_name, std::int64_t id) {
        std::int64_t n = 0;
        vrnumd::read_sync(
            *store_,
            [&](vrnum::read_txn& t) {
                t.query("SELECT count(*) FROM mail_outbox WHERE template = ?1 AND account_id = ?2",
                        {std::string_view(template_name), id},
                        [&](const vrnum::sql_row& r) { n = r.get_int(0); });
            },
            "mails");
        return n;
    }
    std::int64_t balance(std::int64_t id) {
        std::int64_t b = 0;
        vrnumd::read_sync(
            *store_, [&](vrnum::read_txn& t) { b = vrnumd::wallet::balance(t, id); }, "balance");
        return b;
    }
    vrnumd::wallet::ledger_audit audit() {
        vrnumd::wallet::ledger_audit a;
        vrnumd::read_sync(
            *store_, [&](vrnum::read_txn& t) { a = vrnumd::wallet::audit(t); }, "audit");
        return a;
    }
    void run_jobs() { svc_.numbers->run_jobs(); }
    vrnum::store& store() { return *store_; }

    std::atomic<vrnum::unix_ms> now{world_start};

  private:
    temp_dir dir_;
    vrnumd::daemon_config cfg_;
    std::shared_ptr<vrnum::store> store_;
    boost::asio::io_context ioc_;
    boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
    std::thread io_;
    vrnumd::services svc_;
    std::unique_ptr<vrnumd::mail::mailer> mailer_;
    std::vector<vrnum::http::route> routes_;
    int sms_count_ = 0;
};

}  // namespace vrnum::test
