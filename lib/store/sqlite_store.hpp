#pragma once
// The SQLite implementation of vrnum::store: a bounded queue drained by one writer thread
// into group commits, and a small pool of read connections.

#include <array>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <variant>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/thread_pool.hpp>

#include <vrnum/store.hpp>

#include "crypto/seal.hpp"
#include "store/sqlite.hpp"
#include "store/writer_txn.hpp"

namespace prometheus {
template <class T>
class Family;
class Gauge;
class Histogram;
class Counter;
}  // namespace prometheus

namespace vrnum::detail {

/// The column names sealing binds into a part's sender and text: not those of `messages`
/// (`sender`, `body`), so that a part's envelope cannot be moved into a message row.
inline constexpr std::string_view part_sender_column = "part.sender";
inline constexpr std::string_view part_body_column = "part.body";

class sqlite_store final : public store {
  public:
    sqlite_store(const store_config& cfg, options opts, std::unique_ptr<keyring> keys);
    ~sqlite_store() override;

    void append(message m, append_handler done) override;
    void append(message m, boost::asio::any_io_executor where, append_handler done) override;
    void on_commit(commit_listener listener) override;
    void on_append(append_hook hook) override;
    void write(write_fn fn, write_handler done) override;
    void read(read_fn fn, read_handler done) override;
    std::size_t purge_before(unix_ms cutoff, std::size_t batch) override;
    std::size_t join_expired_parts(unix_ms now) override;
    std::vector<stored_message> list(const message_query& q) const override;
    std::string pragma(std::string_view name) override;
    std::size_t queue_depth() const override;
    bool checkpoint() override;
    void close() override;

    /// Opens a connection with the store's settings (WAL, synchronous, secure_delete).
    static std::unique_ptr<connection> open_connection(const store_config& cfg, bool read_only);

  private:
    struct append_item {
        message msg;
        append_handler done;
        std::optional<boost::asio::any_io_executor> where;  // else opts_.completions or here
    };
    // Work for the writer other than an append: runs inside a batch, under a savepoint.
    struct job_item {
        std::function<void(connection&)> fn;
        std::function<void(boost::system::error_code)> done;
        bool alone = false;  // runs between batches, outside any transaction
    };
    using item = std::variant<append_item, job_item>;

    void writer_loop();
    /// Runs a job outside any transaction (a checkpoint).
    void run_alone(job_item& job);
    /// Re-seals rows sealed under an older key with the current one, in the background.
    void reseal_loop();
    /// One pass of `reseal_loop` over one table; false when a job failed or the store closed.
    bool reseal_table(const sealed_table& table, std::int64_t& resealed);
    /// Re-seals the row `rows` is on through `update`; true when it had stale values.
    bool reseal_row(const sealed_table& table, statement& rows, statement& update);
    void run_batch(std::vector<item>& batch);
    void enqueue_append(message m, std::optional<boost::asio::any_io_executor> where,
                        append_handler done);
    struct completion {
        append_handler done;
        std::pair<boost::system::error_code, append_result> result;
        std::optional<boost::asio::any_io_executor> where;
    };
    /// Runs a batch's append completions where each belongs.
    void hand_off(std::vector<completion>& all);
    /// Inserts `m` (moved from when it is new), a message or a part; a duplicate leaves it as
    /// it was. New messages go to `batch_.stored`, last, when nothing can fail any more.
    append_result insert(message& m);
    /// Inserts `m` as a row of `messages` and runs the hook: the new row (moved from `m`), or
    /// nothing for a duplicate, whose row id goes into `r.id`.
    std::optional<stored_message> insert_message(message& m, append_result& r);
    // Multipart SMS (message_parts.cpp).
    /// Inserts a part and joins its group when that part completes it.
    append_result insert_part(message& m);
    /// Joins the parts of `group` into a message (`partial` when some are missing), marks
    /// them with its id (`message_id`) and returns it, or nothing when its (source,
    /// provider_id) was stored already (then the parts point at that message).
    std::optional<stored_message> join_group(std::int64_t group, std::int64_t& message_id);
    /// One job of `join_expired_parts`: up to `limit` expired groups after group id `after`,
    /// each under a savepoint of its own; how many it looked at and how many it stored.
    std::pair<std::size_t, std::size_t> join_expired_groups(unix_ms now, std::int64_t& after,
                                                            std::size_t limit);
    /// The next free row id of `messages` or `message_parts`, from the table.
    std::int64_t next_free_id(std::string_view sql, std::int64_t fallback);
    template <class Fn>
    void in_savepoint(Fn&& fn);
    /// Runs `fn` on the writer thread and waits for it.
    boost::system::error_code write_sync(std::function<void(connection&)> fn);

    store_config cfg_;
    options opts_;
    std::unique_ptr<keyring> keys_;
    std::unique_ptr<connection> writer_db_;
    std::unique_ptr<statement> insert_stmt_;
    std::unique_ptr<statement> find_stmt_;
    std::unique_ptr<statement_cache> stmts_;  // for write_txn users; the writer's own
    std::int64_t next_id_ = 1;
    std::int64_t next_part_id_ = 1;
    // What the batch being run holds (the writer thread's only): the hook of this batch and
    // the messages it stored, for the commit listener.
    struct batch_state {
        append_hook hook;
        std::vector<stored_message> stored;
    } batch_;

    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<item> queue_;
    std::size_t queued_appends_ = 0;
    bool closing_ = false;
    commit_listener listener_;
    append_hook hook_;
    std::thread writer_;
    std::thread resealer_;

    // A read-only connection with its prepared statements.
    struct reader {
        explicit reader(std::unique_ptr<connection> c) : db(std::move(c)), cache(*db) {}
        std::unique_ptr<connection> db;
        statement_cache cache;
    };
    // A reader taken from the pool, given back when the lease ends.
    class reader_lease {
      public:
        reader_lease(const sqlite_store* store, std::unique_ptr<reader> r)
            : store_(store), r_(std::move(r)) {}
        reader_lease(reader_lease&&) = default;
        reader_lease& operator=(reader_lease&&) = delete;
        ~reader_lease();
        reader* operator->() const noexcept { return r_.get(); }

      private:
        const sqlite_store* store_;
        std::unique_ptr<reader> r_;
    };
    reader_lease lease_reader() const;

    mutable std::mutex readers_mutex_;
    mutable std::vector<std::unique_ptr<reader>> readers_;
    // Reads block: they run here, never on the caller's (I/O) threads.
    boost::asio::thread_pool read_pool_{2};

    // The `result` label of vrnum_store_appends_total, in this order.
    enum class append_outcome : std::size_t { stored, duplicate, failed, overloaded, unavailable };
    static constexpr std::array<std::string_view, 5> append_results{"stored", "duplicate", "failed",
                                                                    "overloaded", "unavailable"};
    void count(append_outcome o);
    std::array<prometheus::Counter*, append_results.size()> appends_{};
    prometheus::Histogram* batch_sizes_ = nullptr;
    prometheus::Histogram* commit_seconds_ = nullptr;
    prometheus::Gauge* depth_ = nullptr;
};

}  // namespace vrnum::detail
