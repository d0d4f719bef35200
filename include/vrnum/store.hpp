#pragma once
/// \file
/// The message store: one SQLite file in WAL mode, one writer thread that commits appends
/// in groups, sealed sender and text, numbered migrations per component.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <vrnum/config.hpp>
#include <vrnum/message.hpp>
#include <vrnum/write_txn.hpp>

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
}

namespace vrnum {

/// One numbered schema step of a component (`gateway`, `accounts`, ...). Applied once, in
/// version order, each in its own transaction; recorded in `schema_migrations`.
struct migration {
    std::string component;
    int version = 0;
    std::string sql;
};

/// Another component's table whose columns it seals with `write_txn::seal` (the row's `id`
/// bound in, each column under a label of its own). The store treats these rows as it does
/// messages: with such rows present and the key file missing it refuses to start,
/// `key_status` counts them, and after a key rotation it re-seals them in the background.
/// Names are SQL identifiers (letters, digits, `_`).
struct sealed_table {
    std::string table;
    /// (column, label) pairs. The first is set on every row (rows are counted by its key);
    /// the others may be NULL or empty, which stay as they are.
    std::vector<std::pair<std::string, std::string>> columns;
};

/// What an append did. Either way, a success means what the append carried is committed.
struct append_result {
    /// The message's row id (the first one's, for a duplicate). For a part of a multipart SMS
    /// (`message::part`): the joined message's id when its group is complete (this part
    /// completed it, or a retried part's group was joined before), else 0.
    std::int64_t id = 0;
    /// (source, provider_id) was already stored, as a message or as a part: nothing written.
    bool duplicate = false;
    /// For a part of a multipart SMS: the part's own row id (in `message_parts`); else 0.
    std::int64_t part_id = 0;
};

/// A filter over stored messages (oldest first).
struct message_query {
    std::optional<std::string> source;
    std::optional<std::string> to;  ///< only to this number (a scan in id order: no index)
    std::optional<unix_ms> since;   ///< received at or after
    std::int64_t after_id = 0;      ///< cursor: only ids greater than this
    std::size_t limit = 1000;
};

/// Owns the SQLite file. `append` is safe from any thread; completions run on the writer
/// thread (or, through `async_append`, on the caller's executor). Reads use their own
/// connections and may block: call them off I/O threads.
///
/// Multipart SMS delivered part by part (`message::part` set, as a source parsed it): each
/// part is a durable row of its own before its append completes, and the parts of one group
/// (same source, recipient, sender, `part.ref` and `part.total`) are joined into one ordinary
/// message, texts in `part.number` order, by the append that brings the last missing part:
/// that message goes through the append hook and to the commit listener; a bare part never
/// does. A group still incomplete at the earliest `deadline` of its parts is stored as a
/// partial message by `join_expired_parts`. A part's retry is a duplicate, before and after
/// the join; a new part for a group joined already starts a group of its own (refs are reused).
class store {
  public:
    struct options {
        std::shared_ptr<spdlog::logger> logger;          ///< required
        std::shared_ptr<prometheus::Registry> registry;  ///< optional
        std::vector<migration> migrations;               ///< besides the gateway's own
        std::vector<sealed_table> sealed;                ///< other components' sealed tables
        /// Where the completions of `append(message, append_handler)` run: all of a batch's
        /// in one hand-off, so the writer wakes one thread per commit rather than one per
        /// message. Unset: on the writer. (`async_append` runs each on its own executor.)
        std::optional<boost::asio::any_io_executor> completions;
        /// Re-seal messages and parts sealed under an older key in the background (after a key
        /// rotation). On for a serving process; one-off commands leave it to the daemon.
        bool reseal = true;
    };
    using append_handler = std::function<void(boost::system::error_code, append_result)>;
    using write_fn = std::function<void(write_txn&)>;
    using write_handler = std::function<void(boost::system::error_code)>;
    using read_fn = std::function<void(read_txn&)>;
    using read_handler = std::function<void(boost::system::error_code)>;
    /// Runs inside the transaction that stores a new message (not for a duplicate, nor for a
    /// bare part of a multipart SMS: for the message joined from the parts).
    using append_hook = std::function<void(write_txn&, const stored_message&)>;
    /// Called on the writer thread after each commit with the newly stored messages (joined
    /// and partial multipart messages included, bare parts never).
    using commit_listener = std::function<void(const std::vector<stored_message>&)>;

    /// Opens (creating the file, its directory and, for a new store, the key file), applies
    /// migrations and starts the writer. Throws std::runtime_error with a clear message,
    /// e.g. when sealed rows exist but the key file is missing.
    static std::shared_ptr<store> open(const store_config& cfg, options opts);
    /// Adds a fresh key to `cfg.key_file` and makes it the current one; the older keys stay
    /// and still open what they sealed. A store opened afterwards seals new rows with it and
    /// re-seals the older rows in the background. Returns the new key's id.
    static std::uint32_t add_key(const store_config& cfg);
    /// One key id: whether the key file holds it, whether it is the current key, and how many
    /// rows (messages, multipart parts and the rows of registered sealed tables) use it.
    struct key_usage {
        std::uint32_t key_id = 0;
        bool in_file = false;
        bool current = false;
        std::int64_t rows = 0;
    };
    /// The key file's keys (oldest first) and the key ids the stored messages and parts use,
    /// with the rows of `sealed` (those of its tables that exist) counted too.
    static std::vector<key_usage> key_status(const store_config& cfg,
                                             const std::vector<sealed_table>& sealed = {});
    /// Applies migrations only (for `vrnumd migrate`); returns how many were applied.
    static int migrate(const store_config& cfg, const std::vector<migration>& extra);
    virtual ~store() = default;

    /// Queues a message. `done` gets `errc::overloaded` at once when the queue is full,
    /// `errc::unavailable` when the commit failed, `errc::malformed` for a part whose number is
    /// not within 1 to its total (sources check that first), else the result after the commit.
    virtual void append(message m, append_handler done) = 0;
    /// As `append`, with `done` run on `where` (also when refused at once). The completions
    /// of one commit bound for the same execution context leave the writer in one hand-off,
    /// each then dispatched to its own executor: the writer wakes an I/O thread once per
    /// commit, not once per message.
    virtual void append(message m, boost::asio::any_io_executor where, append_handler done) = 0;
    /// Sets the listener for committed messages (before the first append).
    virtual void on_commit(commit_listener listener) = 0;
    /// Sets the hook that runs inside the append transaction for each new message, e.g. to
    /// route it to the account renting its `to` number, so that the message and what the hook
    /// writes commit together. When the hook throws, neither is stored and the append fails
    /// with `errc::unavailable` (the provider retries). Set before the first append.
    virtual void on_append(append_hook hook) = 0;
    /// Runs `fn` on the writer thread inside the next batch's transaction, under a savepoint
    /// of its own. When `fn` throws, its writes roll back alone (the rest of the batch
    /// commits) and `done` gets the code of a `boost::system::system_error`, or
    /// `errc::internal` for any other exception (logged). Otherwise `done` gets success after
    /// the commit, or `errc::unavailable` when the commit failed or the store is closed, or
    /// `errc::overloaded` at once when `store.queue_max` items already wait (a component's
    /// requests cannot grow the queue without bound any more than webhooks can).
    /// `done` runs on the writer thread: keep it short. Nothing slow belongs in `fn` (no
    /// network call, no password hashing): it holds up every webhook behind it.
    virtual void write(write_fn fn, write_handler done) = 0;
    /// Runs `fn` in a read transaction (one snapshot) on one of the store's read connections,
    /// on a small thread pool of the store's own, so that blocking reads never hold an I/O
    /// thread. `done` runs on that pool: success, the code of a thrown
    /// `boost::system::system_error`, `errc::unavailable` for a SQLite error or a closed
    /// store, `errc::internal` for any other exception (logged).
    virtual void read(read_fn fn, read_handler done) = 0;
    /// Deletes messages received before `cutoff`, walking the table in id (arrival) order
    /// `batch` rows a step, each step its own short write transaction so that appends keep
    /// flowing; returns how many went. The walk stops at the first `batch` rows with none
    /// expired: a message received before older-looking neighbours (a wall clock stepped back)
    /// goes in a later purge, once those before it have expired. The parts a message was joined
    /// from go with it, and so do parts received before `cutoff` that were never joined (parts
    /// never outlive the messages' retention); they are not counted.
    virtual std::size_t purge_before(unix_ms cutoff, std::size_t batch = 500) = 0;
    /// Stores as partial messages (`message::partial`) the multipart groups with parts still
    /// missing whose earliest part deadline is at or before `now`: the texts of the parts that
    /// came, in order, through the append hook and to the commit listener like any new message.
    /// Each group commits alone (a hook that throws leaves its group for the next call, logged).
    /// Runs as jobs on the writer and blocks until they committed; returns how many messages
    /// it stored. Throws std::runtime_error when the store is closed or unavailable. The
    /// gateway calls it on a timer (see `gateway`); an embedder of the bare store calls it.
    virtual std::size_t join_expired_parts(unix_ms now) = 0;
    /// Stored messages matching `q`, decrypted, oldest first.
    virtual std::vector<stored_message> list(const message_query& q) const = 0;
    /// Messages committed after `cursor` (an id), oldest first: to catch up after a restart.
    std::vector<stored_message> messages_after(std::int64_t cursor, std::size_t limit) const {
        message_query q;
        q.after_id = cursor;
        q.limit = limit;
        return list(q);
    }
    /// A PRAGMA's value as the writer connection sees it (`journal_mode`, `synchronous`,
    /// `secure_delete`, `foreign_keys`, `busy_timeout`); throws for any other name.
    virtual std::string pragma(std::string_view name) = 0;
    /// Messages queued and not yet committed.
    virtual std::size_t queue_depth() const = 0;
    /// Copies the write-ahead log into the database file and truncates it to zero bytes, on
    /// the writer between two batches, so that page images of deleted rows (an erased
    /// account, purged messages) do not linger in the `-wal` file; `PRAGMA secure_delete`
    /// already zeroes them in the database. Blocks (call it from outside the store's threads);
    /// false when a reader of another process kept it from finishing (try again later).
    virtual bool checkpoint() = 0;
    /// Commits what is queued, then stops the writer; appends after this fail. Call it (and
    /// drop the last reference) from outside the store's own threads: from a write job, a
    /// commit listener, a read or a completion that runs on the writer it throws
    /// `std::logic_error` instead of waiting for itself.
    virtual void close() = 0;

    /// `append` for Asio: completes with (error_code, append_result) on the token's executor.
    template <class Token>
    auto async_append(message m, Token&& token) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code, append_result)>(
            [this](auto handler, message msg) {
                // A handler of our own type, held in a shared_ptr: cheap to copy into the
                // writer's queue and resumed on the handler's executor, never the writer's.
                using handler_t = decltype(handler);
                boost::asio::any_io_executor where = boost::asio::get_associated_executor(handler);
                auto work = boost::asio::make_work_guard(where);
                auto h = std::make_shared<handler_t>(std::move(handler));
                append(std::move(msg), std::move(where),
                       [h, work](boost::system::error_code ec, append_result r) {
                           std::move (*h)(ec, r);
                       });
            },
            token, std::move(m));
    }

    /// `read` for Asio: completes with (error_code) on the token's executor.
    template <class Token>
    auto async_read(read_fn fn, Token&& token) {
        return async_job(
            std::move(fn), std::forward<Token>(token),
            [this](read_fn f, read_handler done) { read(std::move(f), std::move(done)); });
    }

    /// `write` for Asio: completes with (error_code) on the token's executor.
    template <class Token>
    auto async_write(write_fn fn, Token&& token) {
        return async_job(
            std::move(fn), std::forward<Token>(token),
            [this](write_fn f, write_handler done) { write(std::move(f), std::move(done)); });
    }

  private:
    // Starts `start(fn, done)` and completes the token with done's code on its executor.
    template <class Fn, class Token, class Start>
    static auto async_job(Fn fn, Token&& token, Start start) {
        return boost::asio::async_initiate<Token, void(boost::system::error_code)>(
            [start](auto handler, Fn f) {
                using handler_t = decltype(handler);
                auto work =
                    boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
                auto h = std::make_shared<handler_t>(std::move(handler));
                start(std::move(f), [h, work](boost::system::error_code ec) {
                    boost::asio::post(work.get_executor(),
                                      [h, ec]() mutable { std::move (*h)(ec); });
                });
            },
            token, std::move(fn));
    }
};

/// The stored message with row id `id`, decrypted, as `txn` sees it; nullopt when there is
/// none (never stored, deleted or purged). For an embedder's tables that refer to messages by
/// id (the daemon's inbox). Throws std::runtime_error when it cannot be opened with the keys.
std::optional<stored_message> read_message(read_txn& txn, std::int64_t id);
/// How `delete_message` deletes.
enum class message_deletion {
    /// The sender and text become empty and the row stays until the retention purge, so that
    /// its id is never handed out again and a provider's retry is still answered as a
    /// duplicate (`list` shows it empty). A customer deleting one message.
    tombstone,
    /// The row goes, provider id and all. An erasure, where nothing may remain.
    row,
};
/// Deletes stored message `id` inside `txn`, with the parts it was joined from; false when
/// there was none.
bool delete_message(write_txn& txn, std::int64_t id,
                    message_deletion how = message_deletion::tombstone);

}  // namespace vrnum
