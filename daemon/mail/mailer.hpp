#pragma once
/// \file
/// Transactional mail: `enqueue` renders a template and writes an outbox row inside the
/// caller's write transaction (so the mail exists exactly when the event that causes it
/// commits); a worker thread of the mailer's own sends due rows outside any write transaction,
/// retries transient failures with exponential backoff and jitter, and marks a row dead with
/// its reason after the last attempt or a permanent refusal. At least once: a crash after
/// the transport accepted a mail and before the row says so sends it again after the
/// attempt's lease; a row recorded as sent is never sent again.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <boost/asio/any_io_executor.hpp>
#include <boost/json/object.hpp>

#include <vrnum/store.hpp>

#include "mail/mime.hpp"
#include "mail/templates.hpp"
#include "mail/transport.hpp"

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace vrnumd::mail {

/// A mail to queue.
struct mail_request {
    std::string to;              ///< the recipient's address
    std::string template_name;   ///< a name in the template folder
    boost::json::object params;  ///< the template's values (strings, integers, booleans)
    std::optional<std::int64_t> account_id;  ///< the account whose erasure erases it
};

/// Tunables of the worker; the defaults are the daemon's.
struct mailer_options {
    std::chrono::milliseconds poll{1000};          ///< how often to look for due rows anyway
    std::chrono::milliseconds retry_base{10000};   ///< first retry after 1/2..1 of this
    std::chrono::milliseconds retry_cap{3600000};  ///< longest wait between attempts
    int max_attempts = 12;                         ///< then the row is dead
    std::chrono::milliseconds lease{120000};       ///< an attempt's hold on its row
    std::chrono::hours keep_finished{24 * 30};     ///< sent and dead rows (no content) kept
    std::function<vrnum::unix_ms()> clock;         ///< default: the system clock
    /// Where `vrnum_mail_attempts_total{transport,outcome}` is registered; optional.
    std::shared_ptr<prometheus::Registry> registry;
};

/// Owns the worker thread and the transport. `enqueue` and `erase_account` run inside the
/// caller's write transaction (on the store's writer thread); `wake` from any thread. Stop
/// (or destroy) it before the store closes.
class mailer {
  public:
    /// Makes the transport on the worker's executor.
    using transport_factory =
        std::function<std::unique_ptr<transport>(boost::asio::any_io_executor)>;
    /// `from` is `mail.from`; `site` fills the templates' site values.
    mailer(vrnum::store& store, const transport_factory& make, const template_set& templates,
           mailbox from, site_values site, std::shared_ptr<spdlog::logger> log,
           mailer_options opts = {});
    ~mailer();
    mailer(const mailer&) = delete;
    mailer& operator=(const mailer&) = delete;

    /// Renders `r` and writes its row in `txn`; returns the row id. Throws
    /// std::invalid_argument for an unknown template, a missing value or an invalid address
    /// (the caller's transaction then fails, so no event goes without its mail).
    std::int64_t enqueue(vrnum::write_txn& txn, const mail_request& r) const;
    /// Deletes in `txn` the account's mail rows and, when `address` is given, every row sent to
    /// that address (another account's mail to it); returns their tokens for `forget`.
    std::vector<std::string> erase_account(vrnum::write_txn& txn, std::int64_t account_id,
                                           std::string_view address = {});
    /// Removes the transport's copies (the file transport's `.eml` files) of erased rows: after
    /// the erasing transaction committed, so that a rolled-back erasure keeps its files.
    void forget(const std::vector<std::string>& tokens);
    /// Deletes sent and dead rows finished more than `keep_finished` ago (and the transport's
    /// files of them), as the worker does hourly; returns how many. Blocks: call it from
    /// outside the store's threads (e.g. `vrnumd purge`).
    std::size_t purge_finished();
    /// Tells the worker that rows may be due (after a commit that queued some).
    void wake();
    /// Starts the worker thread.
    void start();
    /// Lets the current attempt finish and record its result, stops the worker and joins its
    /// thread; idempotent. Call it before the store closes.
    void stop();
    /// As `stop`, without waiting: `done` runs on the worker's thread once it has stopped (at
    /// once when it was not running). The daemon stops mail this way before the gateway's
    /// drain closes the store, so that no result is left unrecorded.
    void async_stop(std::function<void()> done);
    /// The transport's name.
    std::string_view transport_name() const;

  private:
    struct worker;
    vrnum::unix_ms finished_cutoff() const;
    vrnum::store& store_;
    const template_set& templates_;
    mailbox from_;
    site_values site_;
    std::shared_ptr<spdlog::logger> log_;
    mailer_options opts_;
    std::unique_ptr<worker> worker_;
    std::unique_ptr<transport> transport_;
    bool started_ = false;
};

}  // namespace vrnumd::mail
