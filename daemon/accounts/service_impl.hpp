#pragma once
// What the accounts service's translation units share: the service's state and the helpers
// its handlers use (store jobs as awaitables, the password pool, limits, mail, cookies).

#include <atomic>
#include <memory>
#include <stop_token>
#include <string>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/object.hpp>
#include <prometheus/counter.h>

#include "accounts/service.hpp"
#include "accounts/turnstile.hpp"
#include "api/json_io.hpp"
#include "mail/mailer.hpp"

namespace vrnumd::accounts {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

// GCC 12 destroys twice a temporary with a destructor made inside a co_await expression:
// helpers take references to the caller's values, and jobs with owning captures are named
// locals before they are awaited.

/// How long link tokens live.
inline constexpr vrnum::unix_ms confirm_token_ms = 24LL * 3600 * 1000;
inline constexpr vrnum::unix_ms reset_token_ms = 3600LL * 1000;
/// A session's last-seen time is written at most this often.
inline constexpr vrnum::unix_ms touch_every_ms = 60LL * 1000;
/// The per-account window of `auth.rate_limit.failed_logins_per_account`.
inline constexpr std::chrono::seconds account_window{15 * 60};

/// What an erasure did.
enum class erase_outcome { erased, not_due, interrupted };

struct service::impl {
    impl(service& owner, vrnum::store& st, const daemon_config& c,
         std::shared_ptr<spdlog::logger> l, prometheus::Registry* registry,
         asio::any_io_executor ex, service_options o);

    service& self;
    vrnum::store& store;
    const daemon_config& cfg;
    // Set once by attach(), then read-only: read only after `attached` is seen true.
    std::atomic<bool> attached{false};
    std::string base_url;
    std::string origin;       // scheme://host[:port] of base_url
    std::string own_host;     // base_url's host
    std::string cookie_name;  // __Host-vrnum_session under https
    bool secure = false;
    std::shared_ptr<spdlog::logger> log;
    service_options opts;
    asio::thread_pool hash_pool;
    std::atomic<std::size_t> pending_hashes{0};
    turnstile_verifier turnstile;
    std::vector<export_section> sections;
    std::vector<erasure_hook> erasure_hooks;
    prometheus::Counter* dummy_counter = nullptr;
    // vrnum_auth_logins_total{outcome}: success, failure, throttled.
    prometheus::Counter* logins_success = nullptr;
    prometheus::Counter* logins_failure = nullptr;
    prometheus::Counter* logins_throttled = nullptr;
    prometheus::Counter* erased_counter = nullptr;  // vrnum_accounts_erased_total
    /// Adds one to `c` when metrics are on.
    static void count(prometheus::Counter* c) {
        if (c != nullptr) {
            c->Increment();
        }
    }

    vrnum::unix_ms now() const { return opts.clock(); }

    /// Runs `fn` in a read (write) transaction; the store's error code.
    asio::awaitable<boost::system::error_code> read(vrnum::store::read_fn fn);
    asio::awaitable<boost::system::error_code> write(vrnum::store::write_fn fn);

    /// Runs `fn` on the password pool; `overloaded` when too many already wait.
    template <class R, class Fn>
    asio::awaitable<vrnum::result<R>> on_pool(const Fn& fn) {
        if (pending_hashes.fetch_add(1) >= opts.max_pending_hashes) {
            pending_hashes.fetch_sub(1);
            // In place: a result<bool> would take the code as a bool.
            co_return vrnum::result<R>(boost::system::in_place_error,
                                       make_error_code(errc::overloaded));
        }
        struct release {
            std::atomic<std::size_t>& n;
            ~release() { n.fetch_sub(1); }
        } guard{pending_hashes};
        auto task = [f = fn]() -> asio::awaitable<R> { co_return f(); };
        auto pool = hash_pool.get_executor();
        R r = co_await asio::co_spawn(pool, std::move(task), asio::use_awaitable);
        co_return r;
    }
    /// True when `password` is the account's (argon2id on the pool).
    asio::awaitable<vrnum::result<bool>> check_password(const std::string& password,
                                                        const std::string& hash);
    /// A 422 when `password` fails the policy for `email` (the dictionary check on the pool).
    asio::awaitable<std::optional<response>> weak_password(const std::string& password,
                                                           const std::string& email,
                                                           std::string_view field = "password");
    /// The argon2id hash of `password` (on the pool).
    asio::awaitable<vrnum::result<std::string>> hash(const std::string& password);

    /// The mailer, or nullptr before the daemon attached it.
    mail::mailer* mailer() const { return self.mailer_.load(); }
    /// Queues a mail in `txn` (throws when it cannot be queued: the transaction fails).
    void enqueue(vrnum::write_txn& txn, std::string to, const char* name, json::object params,
                 std::int64_t account_id);

    /// Per client IP on the auth routes; an answer when the limit is reached.
    std::optional<response> ip_limited(const request& req);
    /// The per-account limit's key for an address (a hash: no address in memory dumps).
    static std::string account_key(std::string_view kind, std::string_view email);
    /// The Turnstile check for auth routes: an answer when it fails.
    asio::awaitable<std::optional<response>> bot_check(const request& req,
                                                       const std::optional<std::string>& token);
    /// A foreign `Origin` on a request made without a cookie: an answer (403 csrf).
    std::optional<response> foreign_origin(const request& req) const;
    /// What every `/auth` route checks first (the client's rate, a foreign `Origin`, a JSON
    /// object body, read into `body`): the answer when one fails.
    std::optional<response> open_auth(const request& req, json::object& body);

    /// A 403 (or 429) unless `password` is the account's; failures count as failed logins.
    asio::awaitable<std::optional<response>> confirm_password(const account& a,
                                                              const std::string& password);
    /// The authenticated caller and the account, opened.
    asio::awaitable<vrnum::result<std::pair<principal, account>>> caller(const request& req);

    /// The account whose password `password` is; `unauthorized` for a wrong password and for
    /// an unknown address alike, after the same argon2 work.
    asio::awaitable<vrnum::result<account>> password_account(const std::string& email,
                                                             const std::string& password);
    /// Starts a session for `a`: the login answer with its cookie.
    asio::awaitable<response> start_session(const account& a);

    /// Set-Cookie values that start and end a session.
    std::string session_cookie(const std::string& id) const;
    std::string cleared_cookie() const;

    /// The account as `GET /me` shows it.
    json::object me_json(const account& a, const std::string& csrf) const;
    /// Schedules the erasure of `a` in `txn` at `t` (kept when asked before), ends every
    /// session and queues the deletion mail; returns when it was asked.
    vrnum::unix_ms schedule_in(vrnum::write_txn& txn, const account& a, vrnum::unix_ms t);
    /// When an account whose deletion was asked at `asked` is erased.
    vrnum::unix_ms erasure_time(vrnum::unix_ms asked) const;

    /// Runs handler `fn` once the service is attached (503 before).
    asio::awaitable<response> serve(request& req, asio::awaitable<response> (impl::*fn)(request&));

    /// Handlers, one per route.
    asio::awaitable<response> do_register(request& req);
    asio::awaitable<response> do_confirm_email(request& req);
    asio::awaitable<response> do_login(request& req);
    asio::awaitable<response> do_logout(request& req);
    asio::awaitable<response> do_logout_all(request& req);
    asio::awaitable<response> do_reset_request(request& req);
    asio::awaitable<response> do_reset_confirm(request& req);
    asio::awaitable<response> do_get_me(request& req);
    asio::awaitable<response> do_patch_me(request& req);
    asio::awaitable<response> do_change_password(request& req);
    asio::awaitable<response> do_delete_me(request& req);
    asio::awaitable<response> do_cancel_deletion(request& req);
    asio::awaitable<response> do_export(request& req);
    asio::awaitable<response> do_create_key(request& req);
    asio::awaitable<response> do_list_keys(request& req);
    asio::awaitable<response> do_revoke_key(request& req);

    /// Erases account `id` (its notice first, then one write transaction, then the WAL):
    /// only while it is still asked for at or before `cutoff`, or at all with no cutoff
    /// (`--now`). Stops before erasing, to be taken up later, when `stop` is requested.
    erase_outcome erase(std::int64_t id, std::optional<vrnum::unix_ms> cutoff,
                        const std::stop_token& stop);
    /// Truncates the WAL after an erasure (retrying a little); false leaves it owed.
    bool truncate_wal(const std::stop_token& stop);
    std::atomic<bool> checkpoint_owed{false};
    /// The export of account `id` in `txn`; nullopt when there is no such account.
    std::optional<json::object> export_in(vrnum::read_txn& txn, std::int64_t id) const;
    /// Waits up to `wait` for the account's last mail to leave the outbox (blocking); false
    /// when `stop` was requested meanwhile.
    bool await_notice(std::int64_t mail_id, std::chrono::milliseconds wait,
                      const std::stop_token& stop);
};

/// The account's API keys as `GET /api-keys` lists them.
json::array api_keys_json(vrnum::read_txn& txn, std::int64_t account_id);

}  // namespace vrnumd::accounts
