#include "store/sqlite_store.hpp"

#include <algorithm>
#include <future>
#include <iterator>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/execution/context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/query.hpp>
#include <openssl/crypto.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <sqlite3.h>

#include <vrnum/error.hpp>

#include "crypto/key_file.hpp"
#include "log/json_log.hpp"
#include "store/migrations.hpp"
#include "store/sealed_tables.hpp"
#include "store/writer_txn.hpp"

namespace vrnum {
namespace detail {
namespace fs = std::filesystem;

namespace {

// Thrown inside a batch when its transaction is gone; fails the whole batch.
struct transaction_lost : std::runtime_error {
    transaction_lost() : std::runtime_error("the write transaction ended early") {}
};

constexpr std::string_view insert_sql =
    "INSERT INTO messages (id, source, provider_id, sender, recipient, body, sent_at, "
    "received_at, partial) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
    "ON CONFLICT (source, provider_id) DO NOTHING";
constexpr std::string_view find_sql =
    "SELECT id FROM messages WHERE source = ?1 AND provider_id = ?2";
constexpr std::string_view list_sql =
    "SELECT id, source, provider_id, sender, recipient, body, sent_at, received_at, partial "
    "FROM messages WHERE id > ?1 AND (?2 IS NULL OR source = ?2) "
    "AND (?3 IS NULL OR recipient = ?3) AND (?4 IS NULL OR received_at >= ?4) "
    "ORDER BY id LIMIT ?5";
constexpr std::string_view next_message_id_sql = "SELECT COALESCE(MAX(id), 0) + 1 FROM messages";
constexpr std::string_view next_part_id_sql = "SELECT COALESCE(MAX(id), 0) + 1 FROM message_parts";

// The key file exists, or is created for a store that holds nothing sealed yet; a store
// with sealed rows (in any sealed table) and no key refuses to start, and so does one whose
// keys do not open its newest sealed row.
std::unique_ptr<keyring> load_keys(const store_config& cfg, connection& db,
                                   const std::vector<sealed_table>& tables) {
    auto keys = read_key_file(cfg.key_file);
    // However this ends, no copy of a master key stays behind in freed memory.
    struct wipe_on_exit {
        std::optional<std::vector<master_key>>& keys;
        ~wipe_on_exit() {
            if (keys) {
                cleanse_keys(*keys);
            }
        }
    } wipe{keys};
    const std::optional<sealed_sample> sample = newest_sealed(db, tables);
    if (!keys) {
        if (sample) {
            throw std::runtime_error(
                "the store " + cfg.path.string() + " holds sealed rows but the key file " +
                cfg.key_file.string() + " is missing: restore it from your backup");
        }
        keys = std::vector<master_key>{create_key_file(cfg.key_file)};
    }
    // The file lists keys oldest first; the keyring wants the current one first.
    auto ring = std::make_unique<keyring>(std::vector<keyring::key>(keys->rbegin(), keys->rend()));
    if (sample && !ring->open(sample->envelope, sample->id, sample->label).has_value()) {
        throw std::runtime_error("the key file " + cfg.key_file.string() +
                                 " does not open the sealed rows in " + cfg.path.string());
    }
    return ring;
}

std::vector<migration> all_migrations(const std::vector<migration>& extra) {
    std::vector<migration> all = gateway_migrations();
    all.insert(all.end(), extra.begin(), extra.end());
    return all;
}

}  // namespace

std::unique_ptr<connection> sqlite_store::open_connection(const store_config& cfg, bool read_only) {
    auto db = std::make_unique<connection>(cfg.path, read_only);
    if (!read_only) {
        db->exec("PRAGMA journal_mode = WAL");
        db->exec(cfg.synchronous == sync_mode::full ? "PRAGMA synchronous = FULL"
                                                    : "PRAGMA synchronous = NORMAL");
    }
    // Purged rows are overwritten, not left in free pages.
    db->exec("PRAGMA secure_delete = ON");
    db->exec("PRAGMA foreign_keys = ON");
    return db;
}

sqlite_store::sqlite_store(const store_config& cfg, options opts, std::unique_ptr<keyring> keys)
    : cfg_(cfg), opts_(std::move(opts)), keys_(std::move(keys)) {
    writer_db_ = open_connection(cfg_, false);
    insert_stmt_ = std::make_unique<statement>(*writer_db_, insert_sql);
    find_stmt_ = std::make_unique<statement>(*writer_db_, find_sql);
    stmts_ = std::make_unique<statement_cache>(*writer_db_);
    next_id_ = writer_db_->query_int(next_message_id_sql).value_or(1);
    next_part_id_ = writer_db_->query_int(next_part_id_sql).value_or(1);
    if (opts_.registry) {
        auto& reg = *opts_.registry;
        auto& appends = prometheus::BuildCounter()
                            .Name("vrnum_store_appends_total")
                            .Help("Messages handed to the store, by result")
                            .Register(reg);
        for (std::size_t r = 0; r < append_results.size(); ++r) {
            appends_[r] = &appends.Add({{"result", std::string(append_results[r])}});
        }
        commit_seconds_ =
            &prometheus::BuildHistogram()
                 .Name("vrnum_store_commit_seconds")
                 .Help("Time of one write transaction, BEGIN to durable COMMIT")
                 .Register(reg)
                 .Add({}, prometheus::Histogram::BucketBoundaries{0.0005, 0.001, 0.002, 0.005, 0.01,
                                                                  0.02, 0.05, 0.1, 0.2, 0.5, 1, 2});
        batch_sizes_ = &prometheus::BuildHistogram()
                            .Name("vrnum_store_batch_size")
                            .Help("Items committed per write transaction")
                            .Register(reg)
                            .Add({}, prometheus::Histogram::BucketBoundaries{1, 2, 4, 8, 16, 32, 64,
                                                                             128, 256, 512, 1024});
        depth_ = &prometheus::BuildGauge()
                      .Name("vrnum_store_queue_depth")
                      .Help("Appends queued and not yet committed")
                      .Register(reg)
                      .Add({});
    }
    // Named for `top -H` and debuggers (at most 15 characters).
    writer_ = std::thread([this] {
        pthread_setname_np(pthread_self(), "vrnum-writer");
        writer_loop();
    });
    if (keys_->size() > 1 && opts_.reseal) {
        resealer_ = std::thread([this] {
            pthread_setname_np(pthread_self(), "vrnum-reseal");
            reseal_loop();
        });
    }
}

void sqlite_store::count(append_outcome o) {
    if (auto* c = appends_[static_cast<std::size_t>(o)]) {
        c->Increment();
    }
}

sqlite_store::~sqlite_store() {
    close();
}

void sqlite_store::append(message m, append_handler done) {
    enqueue_append(std::move(m), std::nullopt, std::move(done));
}

void sqlite_store::append(message m, boost::asio::any_io_executor where, append_handler done) {
    enqueue_append(std::move(m), std::move(where), std::move(done));
}

void sqlite_store::enqueue_append(message m, std::optional<boost::asio::any_io_executor> where,
                                  append_handler done) {
    bool closed = false;
    {
        std::lock_guard lock(mutex_);
        closed = closing_;
        if (!closing_ && queued_appends_ < cfg_.queue_max) {
            queue_.emplace_back(append_item{std::move(m), std::move(done), std::move(where)});
            ++queued_appends_;
            if (depth_) {
                depth_->Set(static_cast<double>(queued_appends_));
            }
            wake_.notify_one();
            return;
        }
    }
    count(closed ? append_outcome::unavailable : append_outcome::overloaded);
    auto ec = make_error_code(closed ? errc::unavailable : errc::overloaded);
    if (where) {
        boost::asio::post(*where, [done = std::move(done), ec] { done(ec, {}); });
    } else {
        done(ec, {});
    }
}

void sqlite_store::on_commit(commit_listener listener) {
    std::lock_guard lock(mutex_);
    listener_ = std::move(listener);
}

void sqlite_store::on_append(append_hook hook) {
    std::lock_guard lock(mutex_);
    hook_ = std::move(hook);
}

void sqlite_store::write(write_fn fn, write_handler done) {
    bool full = false;
    {
        std::lock_guard lock(mutex_);
        full = queue_.size() >= cfg_.queue_max;
        if (!closing_ && !full) {
            queue_.emplace_back(job_item{[this, fn = std::move(fn)](connection& db) {
                                             writer_txn txn(db, *stmts_, *keys_);
                                             fn(txn);
                                         },
                                         std::move(done)});
            wake_.notify_one();
            return;
        }
    }
    if (done) {
        done(make_error_code(full && !closing_ ? errc::overloaded : errc::unavailable));
    }
}

void sqlite_store::writer_loop() {
    std::vector<item> batch;
    std::optional<job_item> alone;
    for (;;) {
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [this] { return !queue_.empty() || closing_; });
            if (queue_.empty()) {
                return;  // closing and drained
            }
            // Everything that queued while the last commit ran goes into this one, up to a
            // job that must run alone: it goes next, by itself.
            while (!queue_.empty() && batch.size() < cfg_.batch_max) {
                auto* job = std::get_if<job_item>(&queue_.front());
                if (job != nullptr && job->alone) {
                    if (batch.empty()) {
                        alone = std::move(*job);
                        queue_.pop_front();
                    }
                    break;
                }
                if (std::holds_alternative<append_item>(queue_.front())) {
                    --queued_appends_;
                }
                batch.push_back(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (depth_) {
                depth_->Set(static_cast<double>(queued_appends_));
            }
        }
        if (alone) {
            run_alone(*alone);
            alone.reset();
            continue;
        }
        run_batch(batch);
        batch.clear();
    }
}

void sqlite_store::run_alone(job_item& job) {
    boost::system::error_code ec;
    try {
        job.fn(*writer_db_);
    } catch (const std::exception& e) {
        ec = make_error_code(errc::unavailable);
        log_event(*opts_.logger, spdlog::level::err, "store job failed", {{"error", e.what()}});
    }
    if (job.done) {
        job.done(ec);
    }
}

bool sqlite_store::checkpoint() {
    std::promise<bool> result;
    auto f = result.get_future();
    bool busy = true;
    {
        std::lock_guard lock(mutex_);
        if (closing_) {
            return false;
        }
        queue_.emplace_back(
            job_item{[&busy](connection& db) {
                         // First column: 1 when a reader or writer kept the checkpoint from
                         // finishing.
                         busy = db.query_int("PRAGMA wal_checkpoint(TRUNCATE)").value_or(1) != 0;
                     },
                     [&](boost::system::error_code ec) { result.set_value(!ec && !busy); }, true});
        wake_.notify_one();
    }
    return f.get();
}

append_result sqlite_store::insert(message& m) {
    if (m.part) {
        return insert_part(m);
    }
    append_result r;
    if (auto sm = insert_message(m, r)) {
        batch_.stored.push_back(std::move(*sm));
    }
    return r;
}

std::optional<stored_message> sqlite_store::insert_message(message& m, append_result& r) {
    const std::int64_t id = next_id_;
    auto& s = *insert_stmt_;
    // Bound without copies: everything bound outlives run(), which resets the statement.
    const std::string sender = keys_->seal(m.from, id, "sender");
    const std::string body = keys_->seal(m.text, id, "body");
    s.bind(1, id).bind_view(2, m.source).bind_view(3, m.provider_id);
    s.bind_blob_view(4, sender).bind_view(5, m.to);
    s.bind_blob_view(6, body).bind(7, m.sent_at).bind(8, m.received_at);
    s.bind(9, std::int64_t{m.partial ? 1 : 0});
    s.run();
    if (writer_db_->changes() == 0) {
        find_stmt_->bind_view(1, m.source).bind_view(2, m.provider_id);
        r.id = find_stmt_->step() ? find_stmt_->column_int(0) : 0;
        r.duplicate = true;
        find_stmt_->reset();
        return std::nullopt;
    }
    // The message is not needed again: move it rather than copy five strings.
    stored_message sm;
    static_cast<message&>(sm) = std::move(m);
    sm.id = id;
    sm.part.reset();
    if (batch_.hook) {
        writer_txn txn(*writer_db_, *stmts_, *keys_);
        batch_.hook(txn, sm);  // may throw: the caller rolls the row back with it
    }
    ++next_id_;
    r.id = id;
    return sm;
}

std::int64_t sqlite_store::next_free_id(std::string_view sql, std::int64_t fallback) {
    try {
        return writer_db_->query_int(sql).value_or(fallback);
    } catch (const std::exception&) {
        return fallback;
    }
}

// Runs `fn` under a savepoint: when it throws, what it wrote is undone and the rest of the
// transaction stands.
template <class Fn>
void sqlite_store::in_savepoint(Fn&& fn) {
    stmts_->get("SAVEPOINT item").run();
    try {
        fn();
    } catch (...) {
        stmts_->get("ROLLBACK TO item").run();
        stmts_->get("RELEASE item").run();
        throw;
    }
    stmts_->get("RELEASE item").run();
}

void sqlite_store::run_batch(std::vector<item>& batch) {
    using boost::system::error_code;
    std::vector<std::pair<error_code, append_result>> results(batch.size());
    std::vector<stored_message>& stored = batch_.stored;
    stored.clear();
    const std::int64_t first_id = next_id_;
    const std::int64_t first_part_id = next_part_id_;
    const auto started = std::chrono::steady_clock::now();
    {
        std::lock_guard lock(mutex_);
        batch_.hook = hook_;
    }
    error_code batch_ec;
    try {
        stmts_->get("BEGIN IMMEDIATE").run();  // prepared once: no parse per batch
        for (std::size_t i = 0; i < batch.size(); ++i) {
            // What an item that fails had added to `stored` was rolled back with it.
            const std::size_t stored_before = stored.size();
            try {
                if (auto* a = std::get_if<append_item>(&batch[i])) {
                    // A single INSERT needs no savepoint; a hook's writes or a part's several
                    // statements do, so that a failure undoes them all.
                    if (batch_.hook || a->msg.part) {
                        in_savepoint([&] { results[i].second = insert(a->msg); });
                    } else {
                        results[i].second = insert(a->msg);
                    }
                } else {
                    in_savepoint([&] { std::get<job_item>(batch[i]).fn(*writer_db_); });
                }
            } catch (const boost::system::system_error& e) {
                stored.resize(stored_before);
                // A component's own refusal (e.g. insufficient funds): not a store failure.
                // Its writes were undone, so it never completes as a success.
                results[i].first = e.code() ? e.code() : make_error_code(errc::internal);
            } catch (const sqlite_error& e) {
                // One failing item fails alone; the rest of the batch commits.
                stored.resize(stored_before);
                results[i].first = make_error_code(errc::unavailable);
                log_event(*opts_.logger, spdlog::level::err, "store write failed",
                          {{"error", e.what()}});
            } catch (const std::exception& e) {
                stored.resize(stored_before);
                // A bug in a component's write is internal; an append is retried by its
                // provider whatever stopped it.
                const bool is_append = std::holds_alternative<append_item>(batch[i]);
                results[i].first = make_error_code(is_append ? errc::unavailable : errc::internal);
                log_event(*opts_.logger, spdlog::level::err, "store write failed",
                          {{"error", e.what()}});
            }
            if (sqlite3_get_autocommit(writer_db_->handle()) != 0) {
                // The transaction is gone (SQLite ended it on disk full or an I/O error, or a
                // component ended it): nothing of this batch can be trusted to commit.
                throw transaction_lost();
            }
        }
        stmts_->get("COMMIT").run();
    } catch (const std::exception& e) {
        log_event(*opts_.logger, spdlog::level::err, "store commit failed", {{"error", e.what()}});
        try {
            writer_db_->exec("ROLLBACK");
        } catch (const std::exception&) {
            // Already rolled back by SQLite.
        }
        batch_ec = make_error_code(errc::unavailable);
        stored.clear();
        // Ids come from the table, not from what this batch meant to write: part of it may
        // have been committed after all (a transaction SQLite ended on its own).
        next_id_ = next_free_id(next_message_id_sql, first_id);
        next_part_id_ = next_free_id(next_part_id_sql, first_part_id);
    }
    if (batch_sizes_) {
        commit_seconds_->Observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        batch_sizes_->Observe(static_cast<double>(batch.size()));
    }
    // Listeners first: whoever got an answer can rely on the fan-out having begun.
    commit_listener listener;
    {
        std::lock_guard lock(mutex_);
        listener = listener_;
    }
    if (listener && !stored.empty()) {
        listener(stored);
    }
    stored.clear();
    batch_.hook = nullptr;
    std::vector<completion> appended;
    appended.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        error_code ec = batch_ec ? batch_ec : results[i].first;
        if (auto* a = std::get_if<append_item>(&batch[i])) {
            count(ec                            ? append_outcome::failed
                  : results[i].second.duplicate ? append_outcome::duplicate
                                                : append_outcome::stored);
            appended.push_back({std::move(a->done), {ec, results[i].second}, std::move(a->where)});
        } else if (auto& done = std::get<job_item>(batch[i]).done) {
            // Jobs complete here: their waiters may be blocked threads, not an event loop.
            done(ec);
        }
    }
    hand_off(appended);
}

// One hand-off per execution context (an I/O thread's io_context, or the io_context under
// the connections' strands); there each completion is dispatched to its own executor, which
// runs it at once when that is the context itself.
void sqlite_store::hand_off(std::vector<completion>& all) {
    struct group {
        boost::asio::execution_context* context;
        boost::asio::any_io_executor executor;
        std::vector<completion> items;
    };
    std::vector<group> groups;
    std::vector<completion> unbound;
    for (completion& c : all) {
        if (!c.where) {
            unbound.push_back(std::move(c));
            continue;
        }
        auto* context = &boost::asio::query(*c.where, boost::asio::execution::context);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const group& g) { return g.context == context; });
        if (it == groups.end()) {
            groups.push_back({context, *c.where, {}});
            it = std::prev(groups.end());
        }
        it->items.push_back(std::move(c));
    }
    for (group& g : groups) {
        boost::asio::post(g.executor, [items = std::move(g.items)]() mutable {
            for (completion& c : items) {
                boost::asio::dispatch(*c.where, [done = std::move(c.done), r = c.result] {
                    done(r.first, r.second);
                });
            }
        });
    }
    auto complete = [unbound = std::move(unbound)]() {
        for (const completion& c : unbound) {
            c.done(c.result.first, c.result.second);
        }
    };
    if (opts_.completions) {
        boost::asio::post(*opts_.completions, std::move(complete));
    } else {
        complete();
    }
}

boost::system::error_code sqlite_store::write_sync(std::function<void(connection&)> fn) {
    std::promise<boost::system::error_code> result;
    auto future = result.get_future();
    {
        std::lock_guard lock(mutex_);
        if (closing_) {
            return make_error_code(errc::unavailable);
        }
        queue_.emplace_back(job_item{
            std::move(fn), [&result](boost::system::error_code ec) { result.set_value(ec); }});
        wake_.notify_one();
    }
    return future.get();
}

// Ids grow with arrival, so expired rows sit at the front of the table. Each job looks at the
// next `batch` rows by id (a rowid range: no index needed) and deletes those received before
// the cutoff; the walk ends at the table's end or at a window with nothing expired, the
// newer part. A row older than its neighbours (a wall clock stepped back) goes once the rows
// before it have expired.
std::size_t sqlite_store::purge_before(unix_ms cutoff, std::size_t batch) {
    std::size_t total = 0;
    std::int64_t after = 0;
    for (;;) {
        std::int64_t removed = 0;
        std::optional<std::int64_t> window_end;
        auto ec = write_sync([&](connection& db) {
            statement window(db,
                             "SELECT MAX(id) FROM (SELECT id FROM messages WHERE id > ?1 "
                             "ORDER BY id LIMIT ?2)");
            window.bind(1, after).bind(2, static_cast<std::int64_t>(batch));
            if (window.step() && !window.column_is_null(0)) {
                window_end = window.column_int(0);
            }
            window.reset();
            if (!window_end) {
                return;
            }
            statement del(db,
                          "DELETE FROM messages WHERE id > ?1 AND id <= ?2 AND received_at < ?3");
            del.bind(1, after).bind(2, *window_end).bind(3, cutoff);
            del.run();
            removed = db.changes();
        });
        if (ec) {
            throw std::runtime_error("purge failed: the store is unavailable");
        }
        total += static_cast<std::size_t>(removed);
        if (!window_end || removed == 0) {
            break;
        }
        after = *window_end;
    }
    // The parts of the messages that went, went with them (ON DELETE CASCADE); parts never
    // joined go once they are as old, whatever their deadline. Few are open at a time: the
    // index of open parts finds them.
    auto ec = write_sync([&](connection& db) {
        statement del(db,
                      "DELETE FROM message_parts INDEXED BY message_parts_deadline "
                      "WHERE message_id IS NULL AND received_at < ?1");
        del.bind(1, cutoff);
        del.run();
    });
    if (ec) {
        throw std::runtime_error("purge failed: the store is unavailable");
    }
    return total;
}

sqlite_store::reader_lease sqlite_store::lease_reader() const {
    std::unique_ptr<reader> r;
    {
        std::lock_guard lock(readers_mutex_);
        if (!readers_.empty()) {
            r = std::move(readers_.back());
            readers_.pop_back();
        }
    }
    if (!r) {
        r = std::make_unique<reader>(open_connection(cfg_, true));
    }
    return reader_lease(this, std::move(r));
}

sqlite_store::reader_lease::~reader_lease() {
    if (r_) {
        std::lock_guard lock(store_->readers_mutex_);
        store_->readers_.push_back(std::move(r_));
    }
}

std::vector<stored_message> sqlite_store::list(const message_query& q) const {
    auto lease = lease_reader();
    std::vector<stored_message> out;
    statement& s = lease->cache.get(list_sql);
    s.reset();
    s.bind(1, q.after_id);
    q.source ? s.bind(2, *q.source) : s.bind_null(2);
    q.to ? s.bind(3, *q.to) : s.bind_null(3);
    s.bind(4, q.since);
    s.bind(5, static_cast<std::int64_t>(q.limit));
    struct reset_on_exit {
        statement& s;
        ~reset_on_exit() { s.reset(); }
    } guard{s};
    while (s.step()) {
        stored_message m;
        m.id = s.column_int(0);
        m.source = s.column_text(1);
        m.provider_id = s.column_text(2);
        auto from = keys_->open(s.column_blob(3), m.id, "sender");
        auto text = keys_->open(s.column_blob(5), m.id, "body");
        if (!from.has_value() || !text.has_value()) {
            throw std::runtime_error("message " + std::to_string(m.id) +
                                     " cannot be opened with the configured key");
        }
        m.from = std::move(*from);
        m.to = s.column_text(4);
        m.text = std::move(*text);
        if (!s.column_is_null(6)) {
            m.sent_at = s.column_int(6);
        }
        m.received_at = s.column_int(7);
        m.partial = s.column_int(8) != 0;
        out.push_back(std::move(m));
    }
    return out;
}

void sqlite_store::read(read_fn fn, read_handler done) {
    std::unique_lock lock(mutex_);
    if (closing_) {
        lock.unlock();
        if (done) {
            done(make_error_code(errc::unavailable));
        }
        return;
    }
    // Posted under the lock: close() sets closing_ under it before it joins the pool, so a
    // read is either refused or queued ahead of the join, never stranded in a stopped pool.
    boost::asio::post(read_pool_, [this, fn = std::move(fn), done = std::move(done)] {
        boost::system::error_code ec;
        try {
            auto lease = lease_reader();
            connection& db = *lease->db;
            db.exec("BEGIN");  // one snapshot for every query of `fn`
            try {
                reader_txn txn(db, lease->cache, *keys_);
                fn(txn);
            } catch (...) {
                db.exec("ROLLBACK");
                throw;
            }
            db.exec("COMMIT");
        } catch (const boost::system::system_error& e) {
            ec = e.code() ? e.code() : make_error_code(errc::internal);
        } catch (const sqlite_error& e) {
            ec = make_error_code(errc::unavailable);
            log_event(*opts_.logger, spdlog::level::err, "store read failed",
                      {{"error", e.what()}});
        } catch (const std::exception& e) {
            ec = make_error_code(errc::internal);
            log_event(*opts_.logger, spdlog::level::err, "store read failed",
                      {{"error", e.what()}});
        }
        if (done) {
            done(ec);
        }
    });
}

std::string sqlite_store::pragma(std::string_view name) {
    // Names cannot be bound as parameters: only these few may be asked for.
    static constexpr std::string_view allowed[] = {"journal_mode", "synchronous", "secure_delete",
                                                   "foreign_keys", "busy_timeout"};
    if (std::find(std::begin(allowed), std::end(allowed), name) == std::end(allowed)) {
        throw std::invalid_argument("pragma not readable: " + std::string(name));
    }
    std::string value;
    auto ec = write_sync(
        [&](connection& db) { value = db.query_text("PRAGMA " + std::string(name)).value_or(""); });
    if (ec) {
        throw std::runtime_error("the store is unavailable");
    }
    return value;
}

std::size_t sqlite_store::queue_depth() const {
    std::lock_guard lock(mutex_);
    return queued_appends_;
}

void sqlite_store::reseal_loop() {
    const std::uint32_t current = keys_->current_key_id();
    std::int64_t resealed = 0;
    log_event(*opts_.logger, spdlog::level::info, "re-sealing rows under the current key",
              {{"key_id", current}});
    for (const sealed_table& table : all_sealed_tables(opts_.sealed)) {
        if (!reseal_table(table, resealed)) {
            return;
        }
    }
    log_event(*opts_.logger, spdlog::level::info, "re-sealing done",
              {{"key_id", current}, {"resealed", resealed}});
}

// Re-seals one row's sealed values under the current key; false when all already were.
bool sqlite_store::reseal_row(const sealed_table& table, statement& rows, statement& update) {
    const std::uint32_t current = keys_->current_key_id();
    const std::int64_t id = rows.column_int(0);
    bool stale = false;
    update.bind(1, id);
    for (std::size_t i = 0; i < table.columns.size(); ++i) {
        const int col = static_cast<int>(i) + 1;
        const int param = static_cast<int>(i) + 2;
        if (rows.column_is_null(col)) {
            update.bind_null(param);
            continue;
        }
        std::string envelope = rows.column_blob(col);
        if (envelope.empty() || keyring::key_id_of_envelope(envelope) == current) {
            update.bind_blob(param, envelope);
            continue;
        }
        auto plain = keys_->open(envelope, id, table.columns[i].second);
        if (!plain) {
            throw std::runtime_error(table.table + " row " + std::to_string(id) +
                                     " cannot be opened to re-seal it");
        }
        update.bind_blob(param, keys_->seal(*plain, id, table.columns[i].second));
        stale = true;
    }
    if (stale) {
        update.run();
    } else {
        update.reset();
    }
    return stale;
}

bool sqlite_store::reseal_table(const sealed_table& table, std::int64_t& resealed) {
    // One pass over the table by id, a few hundred rows a job, so appends keep flowing.
    // Rows written meanwhile are sealed under the current key already.
    const std::string select_sql = reseal_select_sql(table);
    const std::string update_sql = reseal_update_sql(table);
    std::int64_t cursor = 0;
    constexpr std::int64_t rows_per_job = 256;
    for (;;) {
        {
            std::lock_guard lock(mutex_);
            if (closing_) {
                return false;  // resumes at the next start
            }
        }
        std::int64_t seen = 0;
        auto ec = write_sync([&](connection& db) {
            statement rows(db, select_sql);
            statement update(db, update_sql);
            rows.bind(1, cursor).bind(2, rows_per_job);
            while (rows.step()) {
                ++seen;
                cursor = rows.column_int(0);
                resealed += reseal_row(table, rows, update) ? 1 : 0;
            }
        });
        if (ec) {
            log_event(*opts_.logger, spdlog::level::err, "re-sealing stopped",
                      {{"table", table.table}, {"at_id", cursor}, {"resealed", resealed}});
            return false;
        }
        if (seen < rows_per_job) {
            return true;
        }
    }
}

void sqlite_store::close() {
    // Joining from one of the store's own threads would wait for itself for ever.
    const auto self = std::this_thread::get_id();
    if (self == writer_.get_id() || self == resealer_.get_id() ||
        read_pool_.get_executor().running_in_this_thread()) {
        throw std::logic_error(
            "store::close called from the store's own thread (a write job, a commit listener, "
            "a read, or a completion run on the writer)");
    }
    {
        std::lock_guard lock(mutex_);
        if (closing_ && !writer_.joinable()) {
            return;
        }
        closing_ = true;
        wake_.notify_all();
    }
    read_pool_.join();  // reads already queued finish; later ones are refused
    if (resealer_.joinable()) {
        resealer_.join();  // its next job is refused; it stops
    }
    if (writer_.joinable()) {
        writer_.join();
    }
}

}  // namespace detail

std::shared_ptr<store> store::open(const store_config& cfg, options opts) {
    if (!opts.logger) {
        throw std::invalid_argument("store::open needs a logger");
    }
    std::filesystem::create_directories(std::filesystem::absolute(cfg.path).parent_path());
    std::unique_ptr<detail::keyring> keys = [&] {
        auto db = detail::sqlite_store::open_connection(cfg, false);
        detail::apply_migrations(*db, detail::all_migrations(opts.migrations));
        return detail::load_keys(cfg, *db, detail::all_sealed_tables(opts.sealed));
    }();
    return std::make_shared<detail::sqlite_store>(cfg, std::move(opts), std::move(keys));
}

std::uint32_t store::add_key(const store_config& cfg) {
    auto key = detail::add_key_to_file(cfg.key_file);
    auto id = detail::keyring::key_id_of(key);
    OPENSSL_cleanse(key.data(), key.size());
    return id;
}

std::vector<store::key_usage> store::key_status(const store_config& cfg,
                                                const std::vector<sealed_table>& sealed) {
    std::vector<key_usage> out;
    if (auto keys = detail::read_key_file(cfg.key_file)) {
        for (std::size_t i = 0; i < keys->size(); ++i) {
            out.push_back({detail::keyring::key_id_of((*keys)[i]), true, i + 1 == keys->size(), 0});
            OPENSSL_cleanse((*keys)[i].data(), (*keys)[i].size());
        }
    }
    if (!std::filesystem::exists(cfg.path)) {
        return out;
    }
    detail::connection db(cfg.path, true);
    db.exec("PRAGMA busy_timeout = 5000");
    // Tables not migrated yet are left out.
    const std::string sql = detail::key_count_sql(db, detail::all_sealed_tables(sealed));
    if (sql.empty()) {
        return out;
    }
    detail::statement s(db, sql);
    while (s.step()) {
        auto raw = s.column_blob(0);
        if (raw.size() != 4) {
            continue;
        }
        std::uint32_t id = 0;
        for (unsigned char c : raw) {
            id = (id << 8) | c;
        }
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const key_usage& k) { return k.key_id == id; });
        if (it == out.end()) {
            out.push_back({id, false, false, 0});
            it = std::prev(out.end());
        }
        it->rows += s.column_int(1);
    }
    return out;
}

int store::migrate(const store_config& cfg, const std::vector<migration>& extra) {
    std::filesystem::create_directories(std::filesystem::absolute(cfg.path).parent_path());
    auto db = detail::sqlite_store::open_connection(cfg, false);
    return detail::apply_migrations(*db, detail::all_migrations(extra));
}

}  // namespace vrnum
