#pragma once
/// \file
/// The accounts service: sign-up, login, sessions, CSRF, rate limits and the customer's data
/// rights (SPEC §5), as routes under `/api/v1`, plus the erasure job (SPEC §6) and the export
/// the operator's commands share. Password hashing runs on a small pool of its own, never on
/// an I/O thread and never inside a write transaction.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vrnum/error.hpp>
#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/account_store.hpp"
#include "accounts/limiter.hpp"
#include "config/daemon_config.hpp"

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace vrnumd::mail {
class mailer;
}

namespace vrnumd::accounts {

/// Who made a request: a session (cookie) or an API key (Bearer).
struct principal {
    std::int64_t account_id = 0;
    std::int64_t session_row = 0;  ///< 0 for an API key
    std::int64_t api_key_id = 0;   ///< 0 for a session
    std::string csrf_token;        ///< the session's
};

/// One part of an account's export: a table's rows for the account, as JSON.
struct export_section {
    std::string name;  ///< the table's name
    std::function<boost::json::array(vrnum::read_txn&, std::int64_t account_id)> rows;
};

/// A section whose rows are what `list(txn, account_id)` returns, each written by `to_json`.
template <class List, class ToJson>
export_section rows_section(std::string name, List list, ToJson to_json) {
    return {std::move(name), [list = std::move(list), to_json = std::move(to_json)](
                                 vrnum::read_txn& txn, std::int64_t id) {
                boost::json::array rows;
                for (const auto& row : list(txn, id)) {
                    rows.push_back(to_json(row));
                }
                return rows;
            }};
}

/// Tunables; the defaults are the daemon's.
struct service_options {
    std::function<vrnum::unix_ms()> clock;  ///< default: the system clock
    std::shared_ptr<rate_limiter> limiter;  ///< default: a memory_rate_limiter
    unsigned hash_threads = 2;              ///< the password pool's threads
    std::size_t max_pending_hashes = 64;    ///< more waiting: 503 at once
    /// How long an erasure waits for the deletion notice to leave before it erases anyway.
    std::chrono::milliseconds notice_wait{60000};
};

/// Runs inside an account's erasure transaction: another component's part of it.
using erasure_hook = std::function<void(vrnum::write_txn&, std::int64_t account_id)>;

/// Owned by the daemon; outlives the gateway's connections (its routes capture it) and is
/// destroyed after the store's last write from it. Handlers run on any I/O thread at once.
class service {
  public:
    /// Requests to siteverify run on `ex`. `registry` (optional) gets the service's metrics.
    service(vrnum::store& store, const daemon_config& cfg, std::shared_ptr<spdlog::logger> log,
            prometheus::Registry* registry, boost::asio::any_io_executor ex,
            service_options opts = {});
    ~service();
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /// Makes the service ready: `m` sends its mail and `base_url` is the site's public base
    /// URL (its origin is the only one CSRF accepts; https makes the cookie `__Host-` and
    /// Secure). Once, from one thread; until then every route answers 503 (the gateway binds
    /// its port, which the base URL may name, after the routes are in).
    void attach(mail::mailer* m, std::string base_url);
    /// Adds a section to every export (another component's table).
    void add_export_section(export_section s);
    /// Adds a step to every erasure (another component's rows); before the first erasure.
    void add_erasure_hook(erasure_hook h);
    /// The routes, every one under `/api/v1`.
    std::vector<vrnum::http::route> routes();

    /// Who sent `req`: `unauthorized` without a live session or key; `csrf` when a
    /// state-changing request made with the cookie lacks the session's token or a same-origin
    /// `Origin`. For the other components' routes too.
    boost::asio::awaitable<vrnum::result<principal>> authenticate(const vrnum::http::request& req);

    /// The export document of account `id` (SPEC §5); nullopt when there is no such account.
    /// Blocks on the store: call it off the store's own threads.
    std::optional<boost::json::object> export_account(std::int64_t id);
    /// The account with this address (blocking), for the operator's commands.
    std::optional<account> find(std::string_view email);
    /// Asks for the erasure of account `id` now, as `DELETE /me` does (every session ends,
    /// the deletion mail is queued); returns when it will be erased. Blocking.
    vrnum::unix_ms schedule_erasure(std::int64_t id);
    /// Erases accounts whose deletion was asked `retention.account_deletion_days` ago (and
    /// not withdrawn meanwhile); returns how many. Blocks: run from a job thread or a command;
    /// `stop` ends it between accounts (and while it waits for a notice to leave).
    std::size_t erase_due(const std::stop_token& stop = {});
    /// False while an erasure's WAL truncation is owed (a reader kept it from finishing).
    bool wal_clean() const noexcept;
    /// Erases account `id` now (`vrnumd accounts delete --now`), after its notice left (or
    /// `notice_wait` passed); false when it does not exist (any more).
    bool erase_now(std::int64_t id);
    /// Deletes expired link tokens and sessions; returns how many rows went. Blocks.
    std::size_t purge_expired();
    /// Queues mail `template_name` with `params` to account `id`'s address inside the caller's
    /// write (another component's receipts and warnings); false when there is no such account
    /// or no mailer is attached yet.
    bool notify(vrnum::write_txn& txn, std::int64_t id, const std::string& template_name,
                boost::json::object params) const;

  private:
    struct impl;
    friend struct impl;
    std::unique_ptr<impl> impl_;
    std::atomic<mail::mailer*> mailer_{nullptr};
};

/// Authenticates `req` (as `service::authenticate`) and reads its body as a JSON object into
/// `body`: the error answer, or nullopt with `who` set. For the routes that take a body.
boost::asio::awaitable<std::optional<vrnum::http::response>> authenticate_with_body(
    service& accounts, const vrnum::http::request& req, principal& who, boost::json::object& body);

/// The answer for a store job's error (503 with Retry-After for a busy or closed store).
vrnum::http::response store_error(const boost::system::error_code& ec);
/// The answer for what `service::authenticate` refused (401, 403 `csrf`, or a store error).
vrnum::http::response auth_error(const boost::system::error_code& ec);

}  // namespace vrnumd::accounts
