// The message store on a real SQLite file: durability settings, exactly-once appends,
// sealing at rest, group commit under concurrency, overload, purge, catch-up.

#include <array>
#include <atomic>
#include <fstream>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/error.hpp>
#include <vrnum/store.hpp>

#include "crypto/key_file.hpp"
#include "support/store_helpers.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using vrnum::append_result;
using vrnum::message;
using vrnum::store;
using vrnum::test::temp_dir;

using vrnum::test::append_sync;
using vrnum::test::config_in;
using vrnum::test::file_bytes;
using vrnum::test::open_store;
using vrnum::test::quiet_logger;
using vrnum::test::write_sync;

message make_message(std::string id, std::string text = "hello",
                     std::string from = "+447700900001") {
    message m;
    m.source = "demo";
    m.provider_id = std::move(id);
    m.from = std::move(from);
    m.to = "+37255500001";
    m.text = std::move(text);
    m.received_at = 1'700'000'000'000;
    return m;
}

TEST(store, runs_in_wal_mode_with_full_sync) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    EXPECT_EQ(s->pragma("journal_mode"), "wal");
    EXPECT_EQ(s->pragma("synchronous"), "2");  // FULL
    EXPECT_EQ(s->pragma("secure_delete"), "1");
    EXPECT_THROW(s->pragma("table_info(messages)"), std::invalid_argument);

    auto cfg = config_in(dir);
    cfg.path = dir.path() / "normal.db";
    cfg.synchronous = vrnum::sync_mode::normal;
    EXPECT_EQ(open_store(cfg)->pragma("synchronous"), "1");
}

TEST(store, text_comes_back_byte_exact_after_reopen) {
    temp_dir dir;
    const std::string text =
        "Код 123456 \xF0\x9F\x94\x90 رمز التحقق \"quoted\" 'single'\nline two\r\n\ttab \\ end";
    {
        auto s = open_store(config_in(dir));
        auto [ec, r] = append_sync(*s, make_message("m1", text, "Google"));
        ASSERT_FALSE(ec) << ec.message();
        EXPECT_FALSE(r.duplicate);
        EXPECT_GT(r.id, 0);
    }
    auto s = open_store(config_in(dir));
    auto all = s->messages_after(0, 10);
    ASSERT_EQ(all.size(), 1u);
    EXPECT_EQ(all[0].text, text);
    EXPECT_EQ(all[0].from, "Google");
    EXPECT_EQ(all[0].to, "+37255500001");
    EXPECT_EQ(all[0].provider_id, "m1");
    EXPECT_EQ(all[0].received_at, 1'700'000'000'000);
}

TEST(store, sender_and_text_are_sealed_at_rest) {
    temp_dir dir;
    auto cfg = config_in(dir);
    const std::string canary_text = "CANARY-TEXT-8d1f0c";
    const std::string canary_sender = "CANARY-SENDER-77ab";
    auto s = open_store(cfg);
    for (int i = 0; i < 20; ++i) {
        ASSERT_FALSE(
            append_sync(*s, make_message("c" + std::to_string(i),
                                         canary_text + "-" + std::to_string(i), canary_sender))
                .first);
    }
    // Before and after a checkpoint: the WAL and the main file.
    for (int pass = 0; pass < 2; ++pass) {
        for (const auto& e : fs::directory_iterator(cfg.path.parent_path())) {
            std::string bytes = file_bytes(e.path());
            EXPECT_EQ(bytes.find(canary_text), std::string::npos) << e.path();
            EXPECT_EQ(bytes.find(canary_sender), std::string::npos) << e.path();
        }
        s->close();
        s = open_store(cfg);
    }
    EXPECT_EQ(s->messages_after(0, 100).size(), 20u);
}

TEST(store, a_retry_is_a_success_and_no_second_row) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    auto first = append_sync(*s, make_message("dup"));
    auto again = append_sync(*s, make_message("dup", "different text"));
    ASSERT_FALSE(first.first);
    ASSERT_FALSE(again.first);
    EXPECT_FALSE(first.second.duplicate);
    EXPECT_TRUE(again.second.duplicate);
    EXPECT_EQ(again.second.id, first.second.id);
    auto other_source = make_message("dup");
    other_source.source = "other";
    EXPECT_FALSE(append_sync(*s, other_source).second.duplicate);
    auto all = s->messages_after(0, 10);
    ASSERT_EQ(all.size(), 2u);
    EXPECT_EQ(all[0].text, "hello");
}

TEST(store, duplicate_storm_stores_each_message_once) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    constexpr int messages = 5000;
    std::atomic<int> pending{messages * 3};
    std::atomic<int> failed{0};
    std::atomic<int> fresh{0};
    std::promise<void> all_done;
    auto on_done = [&](boost::system::error_code ec, append_result r) {
        if (ec) {
            ++failed;
        } else if (!r.duplicate) {
            ++fresh;
        }
        if (--pending == 0) {
            all_done.set_value();
        }
    };
    std::vector<std::thread> senders;
    for (int t = 0; t < 3; ++t) {
        senders.emplace_back([&] {
            for (int i = 0; i < messages; ++i) {
                s->append(make_message("storm-" + std::to_string(i)), on_done);
            }
        });
    }
    for (auto& t : senders) {
        t.join();
    }
    ASSERT_EQ(all_done.get_future().wait_for(std::chrono::seconds(120)), std::future_status::ready);
    EXPECT_EQ(failed.load(), 0);
    EXPECT_EQ(fresh.load(), messages);
    std::size_t rows = 0;
    std::int64_t cursor = 0;
    for (;;) {
        auto page = s->messages_after(cursor, 1000);
        if (page.empty()) {
            break;
        }
        rows += page.size();
        cursor = page.back().id;
    }
    EXPECT_EQ(rows, static_cast<std::size_t>(messages));
}

TEST(store, a_full_queue_answers_overloaded_at_once) {
    temp_dir dir;
    auto cfg = config_in(dir);
    cfg.queue_max = 1;
    cfg.batch_max = 1;
    auto s = open_store(cfg);
    constexpr int n = 2000;
    std::atomic<int> pending{n};
    std::atomic<int> overloaded{0};
    std::atomic<int> stored{0};
    std::promise<void> done;
    for (int i = 0; i < n; ++i) {
        s->append(make_message("q" + std::to_string(i)),
                  [&](boost::system::error_code ec, append_result) {
                      if (ec == vrnum::errc::overloaded) {
                          ++overloaded;
                      } else if (!ec) {
                          ++stored;
                      }
                      if (--pending == 0) {
                          done.set_value();
                      }
                  });
    }
    ASSERT_EQ(done.get_future().wait_for(std::chrono::seconds(120)), std::future_status::ready);
    EXPECT_GT(overloaded.load(), 0);
    EXPECT_EQ(overloaded.load() + stored.load(), n);
    EXPECT_EQ(s->messages_after(0, n).size(), static_cast<std::size_t>(stored.load()));
}

TEST(store, closed_store_refuses_appends) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    s->close();
    EXPECT_EQ(append_sync(*s, make_message("late")).first, vrnum::errc::unavailable);
}

// Each completion runs on the executor it was appended with (an I/O thread's io_context, or
// a connection's strand), whichever other contexts share its commit; a refusal too, and
// never inline on the caller's thread.
TEST(store, append_completions_run_on_their_own_executor) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    boost::asio::io_context a(1);
    boost::asio::io_context b(1);
    auto guard_a = boost::asio::make_work_guard(a);
    auto guard_b = boost::asio::make_work_guard(b);
    std::thread ta([&] { a.run(); });
    std::thread tb([&] { b.run(); });
    auto strand = boost::asio::make_strand(a);
    const std::array<boost::asio::any_io_executor, 3> targets = {a.get_executor(), b.get_executor(),
                                                                 strand};
    const std::array<std::function<bool()>, 3> on_target = {
        [&] { return a.get_executor().running_in_this_thread(); },
        [&] { return b.get_executor().running_in_this_thread(); },
        [&] { return strand.running_in_this_thread(); }};
    constexpr int count = 300;
    std::atomic<int> done{0};
    std::atomic<int> stored{0};
    std::atomic<int> misplaced{0};
    for (int i = 0; i < count; ++i) {
        const auto k = static_cast<std::size_t>(i % 3);
        s->append(make_message("exec-" + std::to_string(i)), targets[k],
                  [&, k](boost::system::error_code ec, append_result) {
                      misplaced += on_target[k]() ? 0 : 1;
                      stored += ec ? 0 : 1;
                      ++done;
                  });
    }
    for (int i = 0; i < 1000 && done < count; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_EQ(done, count);
    EXPECT_EQ(stored, count);
    EXPECT_EQ(misplaced, 0);

    s->close();
    std::promise<std::pair<boost::system::error_code, std::thread::id>> refused;
    s->append(make_message("late"), b.get_executor(),
              [&](boost::system::error_code ec, append_result) {
                  EXPECT_TRUE(b.get_executor().running_in_this_thread());
                  refused.set_value({ec, std::this_thread::get_id()});
              });
    auto [ec, where] = refused.get_future().get();
    EXPECT_EQ(ec, vrnum::errc::unavailable);
    EXPECT_NE(where, std::this_thread::get_id());
    guard_a.reset();
    guard_b.reset();
    ta.join();
    tb.join();
}

TEST(store, closing_from_its_own_threads_is_refused_not_a_deadlock) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    // Whether close() from the thread this runs on was refused.
    auto try_close = [&s](std::promise<bool>& refused) {
        try {
            s->close();
            refused.set_value(false);
        } catch (const std::logic_error&) {
            refused.set_value(true);
        }
    };
    std::promise<bool> from_writer;
    s->write([&](vrnum::write_txn&) { try_close(from_writer); }, [](boost::system::error_code) {});
    EXPECT_TRUE(from_writer.get_future().get());
    std::promise<bool> from_reader;
    s->read([&](vrnum::read_txn&) { try_close(from_reader); }, [](boost::system::error_code) {});
    EXPECT_TRUE(from_reader.get_future().get());
    // Still open and working.
    EXPECT_FALSE(append_sync(*s, make_message("after")).first);
    s->close();
}

TEST(store, commit_listener_sees_new_messages_only) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    std::mutex m;
    std::vector<std::string> seen;
    s->on_commit([&](const std::vector<vrnum::stored_message>& batch) {
        std::lock_guard lock(m);
        for (const auto& msg : batch) {
            seen.push_back(msg.provider_id);
        }
    });
    append_sync(*s, make_message("a"));
    append_sync(*s, make_message("a"));
    append_sync(*s, make_message("b"));
    std::lock_guard lock(m);
    EXPECT_EQ(seen, (std::vector<std::string>{"a", "b"}));
}

TEST(store, refuses_to_start_without_its_key) {
    temp_dir dir;
    auto cfg = config_in(dir);
    {
        auto s = open_store(cfg);
        ASSERT_FALSE(append_sync(*s, make_message("k")).first);
    }
    fs::path saved = dir.path() / "saved.key";
    fs::rename(cfg.key_file, saved);
    try {
        open_store(cfg);
        FAIL() << "opened without the key";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("key file"), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(cfg.key_file));  // not silently replaced
    // Another key does not open the rows either.
    auto other = config_in(dir);
    other.key_file = dir.path() / "other.key";
    other.path = dir.path() / "fresh.db";
    open_store(other).reset();
    cfg.key_file = other.key_file;
    EXPECT_THROW(open_store(cfg), std::runtime_error);
    // With its own key back, everything is there.
    cfg.key_file = saved;
    EXPECT_EQ(open_store(cfg)->messages_after(0, 10).size(), 1u);
}

TEST(store, purge_removes_old_rows_while_appends_continue) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    constexpr int old_rows = 100000;
    std::atomic<int> pending{old_rows};
    std::promise<void> filled;
    for (int i = 0; i < old_rows; ++i) {
        auto m = make_message("old-" + std::to_string(i));
        m.received_at = 1000 + i;
        s->append(std::move(m), [&](boost::system::error_code ec, append_result) {
            EXPECT_FALSE(ec);
            if (--pending == 0) {
                filled.set_value();
            }
        });
        if (s->queue_depth() > 50000) {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));  // stay under queue_max
        }
    }
    ASSERT_EQ(filled.get_future().wait_for(std::chrono::seconds(300)), std::future_status::ready);

    std::atomic<bool> purging{true};
    std::atomic<int> fresh_ok{0};
    std::thread writer([&] {
        for (int i = 0; purging && i < 100000; ++i) {
            auto r = append_sync(*s, make_message("new-" + std::to_string(i)));
            if (!r.first) {
                ++fresh_ok;
            }
        }
    });
    while (fresh_ok.load() == 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const int before = fresh_ok.load();
    std::size_t removed = s->purge_before(1000 + old_rows, 500);
    const int after = fresh_ok.load();
    purging = false;
    writer.join();
    EXPECT_EQ(removed, static_cast<std::size_t>(old_rows));
    EXPECT_GT(after, before);  // appends were answered while the purge ran
    auto left = s->messages_after(0, 1000000);
    EXPECT_EQ(left.size(), static_cast<std::size_t>(fresh_ok.load()));
    for (const auto& m : left) {
        EXPECT_EQ(m.provider_id.rfind("new-", 0), 0u);
    }
}

// secure_delete zeroes a purged row in the database file; the old page images stay in the
// write-ahead log until a checkpoint truncates it.
TEST(store, a_checkpoint_leaves_no_purged_text_in_the_wal) {
    temp_dir dir;
    auto cfg = config_in(dir);
    auto s = open_store(cfg);
    auto m = make_message("gone-1");
    m.received_at = 1000;
    m.to = "+15550000111";  // stored in clear: findable in the raw bytes
    ASSERT_FALSE(append_sync(*s, std::move(m)).first);
    ASSERT_FALSE(append_sync(*s, make_message("kept-1")).first);
    std::string wal = cfg.path.string() + "-wal";
    ASSERT_NE(file_bytes(wal).find("+15550000111"), std::string::npos);
    EXPECT_EQ(s->purge_before(2000), 1U);
    EXPECT_NE(file_bytes(wal).find("+15550000111"), std::string::npos);  // the old frames
    ASSERT_TRUE(s->checkpoint());
    EXPECT_EQ(std::filesystem::file_size(wal), 0U);
    EXPECT_EQ(file_bytes(cfg.path).find("+15550000111"), std::string::npos);
    // Appends go on after it, and the kept row is whole.
    ASSERT_FALSE(append_sync(*s, make_message("kept-2")).first);
    EXPECT_EQ(s->messages_after(0, 10).size(), 2U);
    s->close();
    EXPECT_FALSE(s->checkpoint());  // closed: refused, not hung
}

// Arrival order is id order, but not always received_at order: rows out of order inside the
// expired part go too, and the walk ends at a window of newer rows.
TEST(store, purge_walks_in_arrival_order_past_out_of_order_rows) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    auto add = [&](const std::string& id, vrnum::unix_ms at) {
        auto m = make_message(id);
        m.received_at = at;
        ASSERT_FALSE(append_sync(*s, std::move(m)).first);
    };
    // 25 expired rows with a fresh one among them, then 25 fresh rows with an expired one
    // (a clock stepped back) after the first 15: with windows of 10 the walk takes the
    // expired part and stops at the first window that is all fresh, before that row.
    for (int i = 0; i < 25; ++i) {
        add("old-" + std::to_string(i), i == 12 ? 9000 : 100 + i);
    }
    for (int i = 0; i < 25; ++i) {
        add("new-" + std::to_string(i), i == 15 ? 200 : 9000 + i);
    }
    EXPECT_EQ(s->purge_before(1000, 10), 24u);
    auto left = s->messages_after(0, 100);
    ASSERT_EQ(left.size(), 26u);
    EXPECT_EQ(left[0].provider_id, "old-12");
    EXPECT_EQ(left[1].provider_id, "new-0");
    // The stepped-back row goes once the rows before it have expired.
    EXPECT_EQ(s->purge_before(9012, 10), 14u);  // old-12, new-0 .. new-11, new-15
    left = s->messages_after(0, 100);
    ASSERT_EQ(left.size(), 12u);
    EXPECT_EQ(left[0].provider_id, "new-12");
    EXPECT_EQ(s->purge_before(1000, 10), 0u);
}

TEST(store, messages_after_pages_by_cursor_and_filters) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    for (int i = 0; i < 10; ++i) {
        auto m = make_message("p" + std::to_string(i));
        m.to = i % 2 ? "+37255500001" : "+37255500002";
        m.received_at = 1000 * i;
        append_sync(*s, m);
    }
    auto first = s->messages_after(0, 4);
    ASSERT_EQ(first.size(), 4u);
    auto rest = s->messages_after(first.back().id, 100);
    ASSERT_EQ(rest.size(), 6u);
    EXPECT_EQ(rest.front().provider_id, "p4");
    vrnum::message_query q;
    q.to = "+37255500002";
    q.since = 4000;
    auto filtered = s->list(q);
    ASSERT_EQ(filtered.size(), 3u);  // p4, p6, p8
    EXPECT_EQ(filtered[0].provider_id, "p4");
}

TEST(store, migrations_are_numbered_and_applied_once) {
    temp_dir dir;
    auto cfg = config_in(dir);
    std::vector<vrnum::migration> extra = {
        {"accounts", 1, "CREATE TABLE accounts_demo (id INTEGER PRIMARY KEY)"},
        {"accounts", 2, "ALTER TABLE accounts_demo ADD COLUMN name TEXT"},
    };
    EXPECT_EQ(store::migrate(cfg, extra), 6);  // gateway 1-4 + accounts 1, 2
    EXPECT_EQ(store::migrate(cfg, extra), 0);
    extra.push_back({"accounts", 4, "SELECT 1"});
    EXPECT_THROW(store::migrate(cfg, extra), std::runtime_error);
}

// A component's table beside the messages, as the daemon's components have.
const std::vector<vrnum::migration> routing_schema = {
    {"routing", 1,
     "CREATE TABLE routes (message_id INTEGER PRIMARY KEY REFERENCES messages (id) "
     "ON DELETE CASCADE, account INTEGER NOT NULL);"
     "CREATE TABLE kv (k TEXT PRIMARY KEY, i INTEGER, r REAL, t TEXT, b BLOB, n INTEGER, "
     "CHECK (i >= 0))"},
};

std::shared_ptr<store> open_with_schema(const vrnum::store_config& c) {
    return store::open(c, {.logger = quiet_logger(), .migrations = routing_schema});
}

TEST(store, write_runs_a_components_transaction_with_bound_values) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    const std::string bytes("\0\x01\xff", 3);
    auto ec = write_sync(*s, [&](vrnum::write_txn& t) {
        EXPECT_EQ(t.exec("INSERT INTO kv (k, i, r, t, b, n) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                         {std::string_view("a'; DROP TABLE kv; --"), std::int64_t{42}, 2.5,
                          std::string_view("Привет"), vrnum::blob{bytes}, nullptr}),
                  1);
        EXPECT_GT(t.last_insert_id(), 0);
    });
    EXPECT_FALSE(ec) << ec.message();
    int rows = 0;
    ec = write_sync(*s, [&](vrnum::write_txn& t) {
        t.query("SELECT k, i, r, t, b, n FROM kv", {}, [&](const vrnum::sql_row& r) {
            ++rows;
            EXPECT_EQ(r.get_text(0), "a'; DROP TABLE kv; --");
            EXPECT_EQ(r.get_int(1), 42);
            EXPECT_EQ(r.get_double(2), 2.5);
            EXPECT_EQ(r.get_text(3), "Привет");
            EXPECT_EQ(r.get_blob(4), bytes);
            EXPECT_TRUE(r.is_null(5));
            EXPECT_FALSE(r.is_null(1));
        });
    });
    EXPECT_FALSE(ec);
    EXPECT_EQ(rows, 1);
    // Two statements in one string are refused, not half run.
    ec = write_sync(*s, [](vrnum::write_txn& t) { t.exec("UPDATE kv SET i = 1; DELETE FROM kv"); });
    EXPECT_EQ(ec, vrnum::errc::unavailable);
    ec = write_sync(*s, [&](vrnum::write_txn& t) {
        EXPECT_EQ(t.query("SELECT i FROM kv WHERE i = 42", {}, [](const vrnum::sql_row&) {}), 1u);
    });
    EXPECT_FALSE(ec);
}

TEST(store, a_failing_write_rolls_back_alone) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    // Queued together so that they share a batch; each keeps its own outcome.
    std::vector<std::promise<boost::system::error_code>> done(4);
    auto finish = [&](std::size_t i) {
        return [&done, i](boost::system::error_code ec) { done[i].set_value(ec); };
    };
    s->write([](vrnum::write_txn& t) { t.exec("INSERT INTO kv (k, i) VALUES ('one', 1)"); },
             finish(0));
    s->write(
        [](vrnum::write_txn& t) {
            t.exec("INSERT INTO kv (k, i) VALUES ('two', 2)");
            throw boost::system::system_error(make_error_code(vrnum::errc::insufficient_funds));
        },
        finish(1));
    s->write(
        [](vrnum::write_txn& t) {
            t.exec("INSERT INTO kv (k, i) VALUES ('three', 3)");
            t.exec("INSERT INTO kv (k, i) VALUES ('negative', -1)");  // violates the CHECK
        },
        finish(2));
    s->write(
        [](vrnum::write_txn& t) {
            t.exec("INSERT INTO kv (k, i) VALUES ('four', 4)");
            throw std::logic_error("a bug");
        },
        finish(3));
    EXPECT_FALSE(done[0].get_future().get());
    EXPECT_EQ(done[1].get_future().get(), vrnum::errc::insufficient_funds);
    EXPECT_EQ(done[2].get_future().get(), vrnum::errc::unavailable);
    EXPECT_EQ(done[3].get_future().get(), vrnum::errc::internal);
    std::vector<std::string> keys;
    write_sync(*s, [&](vrnum::write_txn& t) {
        t.query("SELECT k FROM kv ORDER BY i", {},
                [&](const vrnum::sql_row& r) { keys.push_back(r.get_text(0)); });
    });
    EXPECT_EQ(keys, (std::vector<std::string>{"one"}));
    // Appends keep working after the failures.
    EXPECT_FALSE(append_sync(*s, make_message("after")).first);
}

TEST(store, append_hook_commits_with_the_message_or_not_at_all) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    std::atomic<int> calls{0};
    s->on_append([&](vrnum::write_txn& t, const vrnum::stored_message& m) {
        ++calls;
        if (m.provider_id == "unroutable") {
            throw std::runtime_error("no account for this number");
        }
        // Sealed columns of a component use the store's keys, bound to their row.
        auto sealed = t.seal(m.from, m.id, "routes.from");
        auto opened = t.open(sealed, m.id, "routes.from");
        EXPECT_TRUE(opened.has_value());
        EXPECT_EQ(*opened, m.from);
        EXPECT_FALSE(t.open(sealed, m.id + 1, "routes.from").has_value());
        t.exec("INSERT INTO routes (message_id, account) VALUES (?1, ?2)", {m.id, std::int64_t{7}});
    });
    auto [ec, r] = append_sync(*s, make_message("routed"));
    EXPECT_FALSE(ec);
    EXPECT_FALSE(r.duplicate);
    // A retry is a duplicate: the hook does not run again.
    auto [ec2, r2] = append_sync(*s, make_message("routed"));
    EXPECT_FALSE(ec2);
    EXPECT_TRUE(r2.duplicate);
    EXPECT_EQ(calls.load(), 1);
    // When the hook fails, the message is not stored either, and the provider may retry.
    auto [ec3, r3] = append_sync(*s, make_message("unroutable"));
    EXPECT_EQ(ec3, vrnum::errc::unavailable);
    auto [ec4, r4] = append_sync(*s, make_message("next"));
    EXPECT_FALSE(ec4);
    EXPECT_GT(r4.id, r.id);

    auto stored = s->messages_after(0, 10);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].provider_id, "routed");
    EXPECT_EQ(stored[1].provider_id, "next");
    std::vector<std::int64_t> routed;
    write_sync(*s, [&](vrnum::write_txn& t) {
        t.query("SELECT message_id FROM routes WHERE account = ?1 ORDER BY message_id",
                {std::int64_t{7}},
                [&](const vrnum::sql_row& row) { routed.push_back(row.get_int(0)); });
    });
    EXPECT_EQ(routed, (std::vector<std::int64_t>{r.id, r4.id}));
}

TEST(store, write_after_close_fails_at_once) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    s->close();
    EXPECT_EQ(write_sync(*s, [](vrnum::write_txn&) {}), vrnum::errc::unavailable);
}

// Components' writes share the bounded queue with webhooks: past `queue_max` they are
// refused at once, and the ones already queued still commit.
TEST(store, writes_past_queue_max_are_refused_at_once) {
    temp_dir dir;
    auto cfg = config_in(dir);
    cfg.queue_max = 4;
    auto s = open_with_schema(cfg);
    std::promise<void> entered;
    std::promise<void> release;
    auto released = release.get_future().share();
    s->write(
        [&](vrnum::write_txn&) {
            entered.set_value();
            released.wait();  // holds the writer so that the queue fills
        },
        {});
    ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(30)), std::future_status::ready);
    std::atomic<int> ok{0};
    std::atomic<int> finished{0};
    for (int i = 0; i < 4; ++i) {
        s->write([](vrnum::write_txn&) {},
                 [&](boost::system::error_code ec) {
                     ok += ec ? 0 : 1;
                     ++finished;
                 });
    }
    boost::system::error_code refused;
    bool called = false;
    s->write([](vrnum::write_txn&) {},
             [&](boost::system::error_code ec) {
                 refused = ec;
                 called = true;
             });
    EXPECT_TRUE(called);  // at once, on this thread
    EXPECT_EQ(refused, vrnum::errc::overloaded);
    release.set_value();
    s->close();
    EXPECT_EQ(finished.load(), 4);
    EXPECT_EQ(ok.load(), 4);
}

TEST(store, a_new_key_reseals_old_rows_in_the_background) {
    temp_dir dir;
    auto cfg = config_in(dir);
    constexpr int count = 600;  // more than one re-seal job
    {
        auto s = open_store(cfg);
        for (int i = 0; i < count; ++i) {
            ASSERT_FALSE(
                append_sync(*s, make_message("m" + std::to_string(i), "текст " + std::to_string(i)))
                    .first);
        }
    }
    auto before = store::key_status(cfg);
    ASSERT_EQ(before.size(), 1u);
    EXPECT_TRUE(before[0].current);
    EXPECT_EQ(before[0].rows, count);
    const std::uint32_t old_id = before[0].key_id;

    const std::uint32_t new_id = store::add_key(cfg);
    EXPECT_NE(new_id, old_id);
    {
        // A one-off command (reseal off) leaves the rows to the daemon's next start.
        auto cli = store::open(cfg, {.logger = quiet_logger(), .reseal = false});
        EXPECT_EQ(cli->messages_after(0, 10).size(), 10u);
    }
    EXPECT_EQ(store::key_status(cfg)[0].rows, count);
    {
        auto s = open_store(cfg);
        EXPECT_FALSE(append_sync(*s, make_message("after")).first);
        // Bounded wait: the re-seal runs in jobs between appends.
        EXPECT_EQ(vrnum::test::wait_resealed(cfg, old_id), 0);
    }
    auto after = store::key_status(cfg);
    ASSERT_EQ(after.size(), 2u);
    EXPECT_EQ(after[0].key_id, old_id);
    EXPECT_FALSE(after[0].current);
    EXPECT_EQ(after[0].rows, 0);
    EXPECT_EQ(after[1].key_id, new_id);
    EXPECT_TRUE(after[1].current);
    EXPECT_EQ(after[1].rows, count + 1);

    // The old key is no longer needed: a file with the new key alone opens every row.
    auto keys = vrnum::detail::read_key_file(cfg.key_file);
    ASSERT_TRUE(keys && keys->size() == 2u);
    vrnum::detail::rewrite_key_file(cfg.key_file, {keys->back()});
    auto s = open_store(cfg);
    auto all = s->messages_after(0, 10000);
    ASSERT_EQ(all.size(), static_cast<std::size_t>(count + 1));
    for (int i = 0; i < count; ++i) {
        EXPECT_EQ(all[static_cast<std::size_t>(i)].text, "текст " + std::to_string(i));
    }
    EXPECT_EQ(all.back().provider_id, "after");
}

TEST(store, refuses_a_key_file_without_the_key_of_its_rows) {
    temp_dir dir;
    auto cfg = config_in(dir);
    open_store(cfg)->close();
    {
        auto s = open_store(cfg);
        ASSERT_FALSE(append_sync(*s, make_message("sealed")).first);
    }
    // Only a new key left in the file: start-up says the key does not open the store.
    store::add_key(cfg);
    auto keys = vrnum::detail::read_key_file(cfg.key_file);
    vrnum::detail::rewrite_key_file(cfg.key_file, {keys->back()});
    try {
        open_store(cfg);
        ADD_FAILURE() << "opened a store whose key is gone";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("does not open"), std::string::npos) << e.what();
    }
}

boost::system::error_code read_sync(store& s, store::read_fn fn) {
    std::promise<boost::system::error_code> p;
    auto f = p.get_future();
    s.read(std::move(fn), [&p](boost::system::error_code ec) { p.set_value(ec); });
    return f.get();
}

TEST(store, reads_run_off_the_callers_thread_on_read_only_connections) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    ASSERT_FALSE(write_sync(*s, [](vrnum::write_txn& t) {
        t.exec("INSERT INTO kv (k, i) VALUES ('a', 1), ('b', 2)");
    }));
    ASSERT_FALSE(append_sync(*s, make_message("read-me", "секрет")).first);

    std::thread::id ran_on;
    std::vector<std::string> keys;
    std::string text;
    auto ec = read_sync(*s, [&](vrnum::read_txn& t) {
        ran_on = std::this_thread::get_id();
        t.query("SELECT k FROM kv WHERE i >= ?1 ORDER BY i", {std::int64_t{1}},
                [&](const vrnum::sql_row& r) { keys.push_back(r.get_text(0)); });
        t.query("SELECT id, body FROM messages", {}, [&](const vrnum::sql_row& r) {
            auto opened = t.open(r.get_blob(1), r.get_int(0), "body");
            ASSERT_TRUE(opened.has_value());
            text = *opened;
        });
    });
    EXPECT_FALSE(ec) << ec.message();
    EXPECT_NE(ran_on, std::this_thread::get_id());
    EXPECT_EQ(keys, (std::vector<std::string>{"a", "b"}));
    EXPECT_EQ(text, "секрет");

    // Read-only: a write through a read fails and changes nothing.
    ec = read_sync(*s, [](vrnum::read_txn& t) {
        t.query("DELETE FROM kv", {}, [](const vrnum::sql_row&) {});
    });
    EXPECT_EQ(ec, vrnum::errc::unavailable);
    ec = read_sync(*s, [](vrnum::read_txn&) {
        throw boost::system::system_error(make_error_code(vrnum::errc::not_found));
    });
    EXPECT_EQ(ec, vrnum::errc::not_found);
    std::size_t rows = 0;
    EXPECT_FALSE(read_sync(*s, [&](vrnum::read_txn& t) {
        rows = t.query("SELECT k FROM kv", {}, [](const vrnum::sql_row&) {});
    }));
    EXPECT_EQ(rows, 2u);

    // Many reads at once while writes go on: each sees a whole write, never half of one.
    std::atomic<int> torn{0};
    std::vector<std::promise<boost::system::error_code>> done(200);
    for (std::size_t i = 0; i < done.size(); ++i) {
        if (i % 10 == 0) {
            s->write(
                [](vrnum::write_txn& t) {
                    t.exec("UPDATE kv SET i = i + 10 WHERE k = 'a'");
                    t.exec("UPDATE kv SET i = i + 10 WHERE k = 'b'");
                },
                {});
        }
        s->read(
            [&](vrnum::read_txn& t) {
                std::int64_t a = 0;
                std::int64_t b = 0;
                t.query("SELECT i FROM kv WHERE k = 'a'", {},
                        [&](const vrnum::sql_row& r) { a = r.get_int(0); });
                t.query("SELECT i FROM kv WHERE k = 'b'", {},
                        [&](const vrnum::sql_row& r) { b = r.get_int(0); });
                if (b - a != 1) {
                    ++torn;
                }
            },
            [&done, i](boost::system::error_code e) { done[i].set_value(e); });
    }
    for (auto& d : done) {
        EXPECT_FALSE(d.get_future().get());
    }
    EXPECT_EQ(torn.load(), 0);

    s->close();
    EXPECT_EQ(read_sync(*s, [](vrnum::read_txn&) {}), vrnum::errc::unavailable);
}

TEST(store, async_read_and_write_complete_asio_tokens) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    boost::asio::io_context ioc;
    std::vector<std::string> seen;
    boost::asio::co_spawn(
        ioc,
        [&]() -> boost::asio::awaitable<void> {
            auto [wec] = co_await s->async_write(
                [](vrnum::write_txn& t) { t.exec("INSERT INTO kv (k, i) VALUES ('co', 5)"); },
                boost::asio::as_tuple(boost::asio::use_awaitable));
            EXPECT_FALSE(wec);
            auto [rec] = co_await s->async_read(
                [&](vrnum::read_txn& t) {
                    t.query("SELECT k FROM kv", {},
                            [&](const vrnum::sql_row& r) { seen.push_back(r.get_text(0)); });
                },
                boost::asio::as_tuple(boost::asio::use_awaitable));
            EXPECT_FALSE(rec);
        },
        boost::asio::detached);
    ioc.run();  // returns once the coroutine is done: the work guards kept it alive till then
    EXPECT_EQ(seen, (std::vector<std::string>{"co"}));
}

TEST(store, a_write_cannot_end_the_transaction_or_succeed_after_undoing) {
    temp_dir dir;
    auto s = open_with_schema(config_in(dir));
    for (const char* sql : {"COMMIT", " rollback", "END", "RELEASE item", "SAVEPOINT x", "BEGIN"}) {
        EXPECT_EQ(write_sync(*s, [&](vrnum::write_txn& t) { t.exec(sql); }), vrnum::errc::internal)
            << sql;
    }
    // A refusal with no code is still a refusal: its writes are gone.
    EXPECT_EQ(write_sync(*s,
                         [](vrnum::write_txn& t) {
                             t.exec("INSERT INTO kv (k, i) VALUES ('zero', 0)");
                             throw boost::system::system_error(boost::system::error_code{});
                         }),
              vrnum::errc::internal);
    // The same SQL run again from inside its own rows is refused, not silently restarted.
    ASSERT_FALSE(write_sync(*s, [](vrnum::write_txn& t) {
        t.exec("INSERT INTO kv (k, i) VALUES ('x', 1), ('y', 2)");
    }));
    EXPECT_EQ(write_sync(*s,
                         [](vrnum::write_txn& t) {
                             t.query("SELECT k FROM kv", {}, [&](const vrnum::sql_row&) {
                                 t.query("SELECT k FROM kv", {}, [](const vrnum::sql_row&) {});
                             });
                         }),
              vrnum::errc::internal);
    // And the store goes on: appends commit and get fresh ids.
    auto [ec, r] = append_sync(*s, make_message("after-refusals"));
    EXPECT_FALSE(ec);
    EXPECT_GT(r.id, 0);
    std::size_t rows = 0;
    EXPECT_FALSE(write_sync(*s, [&](vrnum::write_txn& t) {
        rows = t.query("SELECT k FROM kv", {}, [](const vrnum::sql_row&) {});
    }));
    EXPECT_EQ(rows, 2u);
}

}  // namespace
