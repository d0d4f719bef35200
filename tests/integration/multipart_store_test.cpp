// Multipart SMS in the store: parts durable one by one, joined once all are in (in any
// order, across a restart), stored as partial after their deadline, sealed at rest under
// names of their own, re-sealed after a rotation, and purged with their message.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/error.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/store.hpp>

#include "crypto/key_file.hpp"
#include "support/gateway_fixture.hpp"
#include "support/store_helpers.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;
using vrnum::append_result;
using vrnum::message;
using vrnum::store;
using vrnum::stored_message;
using vrnum::test::temp_dir;

constexpr vrnum::unix_ms received = 1'700'000'000'000;
constexpr vrnum::unix_ms timeout_ms = 60'000;

using vrnum::test::append_sync;
using vrnum::test::config_in;
using vrnum::test::file_bytes;
using vrnum::test::open_store;
using vrnum::test::quiet_logger;
using vrnum::test::write_sync;

// Part `number` of `total` of the message `ref` from `from`, received `later` ms after the first.
message make_part(std::string id, unsigned number, unsigned total, std::string text,
                  std::string ref = "7a", std::string from = "+447700900001",
                  vrnum::unix_ms later = 0) {
    message m;
    m.source = "vonage";
    m.provider_id = std::move(id);
    m.from = std::move(from);
    m.to = "+37255500001";
    m.text = std::move(text);
    m.sent_at = received - 5000 + number;
    m.received_at = received + later;
    m.part = vrnum::message_part{std::move(ref), total, number, m.received_at + timeout_ms};
    return m;
}

// The one integer a query returns, e.g. "SELECT COUNT(*) FROM message_parts".
std::int64_t count_rows(store& s, std::string_view sql,
                        std::optional<std::int64_t> param = std::nullopt) {
    std::int64_t n = -1;
    EXPECT_FALSE(write_sync(s, [&](vrnum::write_txn& t) {
        auto take = [&](const vrnum::sql_row& r) { n = r.get_int(0); };
        param ? t.query(sql, {*param}, take) : t.query(sql, {}, take);
    }));
    return n;
}

// What the commit listener was handed, batch by batch.
struct listener_log {
    std::mutex m;
    std::vector<std::vector<stored_message>> batches;
    void attach(store& s) {
        s.on_commit([this](const std::vector<stored_message>& b) {
            std::lock_guard lock(m);
            batches.push_back(b);
        });
    }
    std::vector<stored_message> all() {
        std::lock_guard lock(m);
        std::vector<stored_message> out;
        for (const auto& b : batches) {
            out.insert(out.end(), b.begin(), b.end());
        }
        return out;
    }
};

TEST(store, multipart_parts_in_any_order_join_once_in_order) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    listener_log seen;
    seen.attach(*s);

    auto third = append_sync(*s, make_part("p3", 3, 3, " three", "7a", "+447700900001", 10));
    ASSERT_FALSE(third.first) << third.first.message();
    EXPECT_FALSE(third.second.duplicate);
    EXPECT_EQ(third.second.id, 0);  // stored, but no message yet
    EXPECT_GT(third.second.part_id, 0);
    auto first = append_sync(*s, make_part("p1", 1, 3, "one", "7a", "+447700900001", 20));
    ASSERT_FALSE(first.first);
    EXPECT_EQ(first.second.id, 0);
    EXPECT_NE(first.second.part_id, third.second.part_id);
    // A retry before the join: the same part, nothing new.
    auto retry = append_sync(*s, make_part("p3", 3, 3, " three (again)"));
    ASSERT_FALSE(retry.first);
    EXPECT_TRUE(retry.second.duplicate);
    EXPECT_EQ(retry.second.id, 0);
    EXPECT_EQ(retry.second.part_id, third.second.part_id);
    EXPECT_TRUE(seen.all().empty());  // bare parts never reach the listener
    EXPECT_TRUE(s->messages_after(0, 10).empty());

    auto second = append_sync(*s, make_part("p2", 2, 3, " two", "7a", "+447700900001", 30));
    ASSERT_FALSE(second.first);
    EXPECT_FALSE(second.second.duplicate);
    EXPECT_GT(second.second.id, 0);  // this part completed the message

    auto heard = seen.all();
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0].text, "one two three");
    EXPECT_EQ(heard[0].id, second.second.id);
    EXPECT_EQ(heard[0].provider_id, "p1");
    EXPECT_FALSE(heard[0].partial);
    EXPECT_FALSE(heard[0].part.has_value());

    auto listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].id, second.second.id);
    EXPECT_EQ(listed[0].text, "one two three");
    EXPECT_EQ(listed[0].from, "+447700900001");
    EXPECT_EQ(listed[0].to, "+37255500001");
    EXPECT_EQ(listed[0].source, "vonage");
    EXPECT_EQ(listed[0].provider_id, "p1");
    EXPECT_EQ(listed[0].sent_at, received - 5000 + 1);  // part 1's
    EXPECT_EQ(listed[0].received_at, received + 30);    // the last part's
    EXPECT_FALSE(listed[0].partial);

    // Retries after the join: duplicates that name the joined message; nothing new is heard.
    for (auto [id, number] : {std::pair{"p1", 1u}, {"p2", 2u}, {"p3", 3u}}) {
        auto again = append_sync(*s, make_part(id, number, 3, "x"));
        ASSERT_FALSE(again.first);
        EXPECT_TRUE(again.second.duplicate) << id;
        EXPECT_EQ(again.second.id, second.second.id) << id;
    }
    EXPECT_EQ(seen.all().size(), 1u);
    EXPECT_EQ(s->messages_after(0, 10).size(), 1u);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts WHERE message_id IS NULL"), 0);
}

TEST(store, multipart_groups_by_sender_total_and_ref_and_start_anew_when_a_ref_comes_round) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    // Same ref and recipient: another sender's parts, another total, another ref stay apart.
    ASSERT_FALSE(append_sync(*s, make_part("a1", 1, 2, "A1")).first);
    ASSERT_FALSE(append_sync(*s, make_part("b2", 2, 2, "B2", "7a", "+447700900002")).first);
    ASSERT_FALSE(append_sync(*s, make_part("c2", 2, 3, "C2")).first);
    ASSERT_FALSE(append_sync(*s, make_part("d2", 2, 2, "D2", "8b")).first);
    // An earlier message under the same ref still lacks its part 2 (lost on the way): a
    // second part 1 cannot belong to it, so it starts a group of its own ...
    ASSERT_FALSE(append_sync(*s, make_part("e1", 1, 2, "E1")).first);
    EXPECT_TRUE(s->messages_after(0, 10).empty());
    // ... and the part 2 that follows goes to the group that got a part most recently: the
    // new message, not the one whose part was lost.
    auto done = append_sync(*s, make_part("e2", 2, 2, "E2"));
    ASSERT_FALSE(done.first);
    EXPECT_GT(done.second.id, 0);
    auto listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].text, "E1E2");
    ASSERT_FALSE(append_sync(*s, make_part("b1", 1, 2, "B1", "7a", "+447700900002")).first);
    listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 2u);
    EXPECT_EQ(listed[1].text, "B1B2");
    EXPECT_EQ(listed[1].from, "+447700900002");
    // A1 still waits for its part 2 (until its deadline); a late A2 completes it.
    auto late = append_sync(*s, make_part("a2", 2, 2, "A2"));
    ASSERT_FALSE(late.first);
    EXPECT_GT(late.second.id, 0);
    listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 3u);
    EXPECT_EQ(listed[2].text, "A1A2");
    // Once joined, the same ref starts over.
    ASSERT_FALSE(append_sync(*s, make_part("f2", 2, 2, "F2")).first);
    EXPECT_EQ(s->messages_after(0, 10).size(), 3u);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts WHERE message_id IS NULL"), 3);
}

TEST(store, multipart_group_joins_across_a_restart) {
    temp_dir dir;
    auto cfg = config_in(dir);
    {
        auto s = open_store(cfg);
        ASSERT_FALSE(append_sync(*s, make_part("r2", 2, 3, "два ")).first);
        ASSERT_FALSE(append_sync(*s, make_part("r1", 1, 3, "один ")).first);
    }  // closed: what was answered is on disk
    auto s = open_store(cfg);
    listener_log seen;
    seen.attach(*s);
    auto retry = append_sync(*s, make_part("r1", 1, 3, "один "));
    ASSERT_FALSE(retry.first);
    EXPECT_TRUE(retry.second.duplicate);
    auto last = append_sync(*s, make_part("r3", 3, 3, "три \xF0\x9F\x93\xA8"));
    ASSERT_FALSE(last.first);
    EXPECT_GT(last.second.id, 0);
    auto heard = seen.all();
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_EQ(heard[0].text, "один два три \xF0\x9F\x93\xA8");
    s->close();
    auto again = open_store(cfg)->messages_after(0, 10);
    ASSERT_EQ(again.size(), 1u);
    EXPECT_EQ(again[0].text, "один два три \xF0\x9F\x93\xA8");
    EXPECT_EQ(again[0].id, last.second.id);
}

TEST(store, multipart_parts_past_their_deadline_become_a_partial_message) {
    temp_dir dir;
    auto cfg = config_in(dir);
    auto s = open_store(cfg);
    listener_log seen;
    seen.attach(*s);
    ASSERT_FALSE(append_sync(*s, make_part("x3", 3, 4, " three", "9", "+447700900001", 0)).first);
    ASSERT_FALSE(append_sync(*s, make_part("x1", 1, 4, "one", "9", "+447700900001", 500)).first);
    ASSERT_FALSE(append_sync(*s, make_part("lone", 2, 2, "lone", "10")).first);
    const vrnum::unix_ms deadline = received + timeout_ms;  // of each group's first part

    EXPECT_EQ(s->join_expired_parts(deadline - 1), 0u);
    EXPECT_TRUE(seen.all().empty());
    EXPECT_EQ(s->join_expired_parts(deadline), 2u);
    auto heard = seen.all();
    ASSERT_EQ(heard.size(), 2u);
    EXPECT_TRUE(heard[0].partial);
    EXPECT_EQ(heard[0].text, "one three");
    EXPECT_EQ(heard[0].provider_id, "x1");
    EXPECT_EQ(heard[0].received_at, received + 500);
    EXPECT_TRUE(heard[1].partial);
    EXPECT_EQ(heard[1].text, "lone");
    EXPECT_EQ(s->join_expired_parts(deadline + 1), 0u);  // once only

    // A part that comes after the timeout is not lost: it waits as a group of its own.
    auto late = append_sync(*s, make_part("x2", 2, 4, " two", "9", "+447700900001", 61'000));
    ASSERT_FALSE(late.first);
    EXPECT_FALSE(late.second.duplicate);
    EXPECT_EQ(late.second.id, 0);
    auto retry = append_sync(*s, make_part("x1", 1, 4, "one"));
    EXPECT_TRUE(retry.second.duplicate);
    EXPECT_EQ(retry.second.id, heard[0].id);
    EXPECT_EQ(s->join_expired_parts(received + 61'000 + timeout_ms), 1u);

    s->close();
    s = open_store(cfg);
    auto listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 3u);
    for (const auto& m : listed) {
        EXPECT_TRUE(m.partial) << m.provider_id;
    }
    EXPECT_EQ(listed[0].text, "one three");
    EXPECT_EQ(listed[2].text, " two");
    // An ordinary message is not partial.
    message plain = make_part("plain", 1, 1, "plain");
    plain.part.reset();
    ASSERT_FALSE(append_sync(*s, plain).first);
    EXPECT_FALSE(s->messages_after(listed.back().id, 10).at(0).partial);
}

TEST(store, multipart_join_runs_the_append_hook_and_a_failing_hook_undoes_the_part) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    std::mutex m;
    std::vector<std::string> hooked;
    std::atomic<bool> fail{false};
    s->on_append([&](vrnum::write_txn&, const stored_message& msg) {
        if (fail) {
            throw std::runtime_error("routing failed");
        }
        std::lock_guard lock(m);
        hooked.push_back(msg.text);
    });
    ASSERT_FALSE(append_sync(*s, make_part("h1", 1, 2, "hook ")).first);
    {
        std::lock_guard lock(m);
        EXPECT_TRUE(hooked.empty());  // not for a bare part
    }
    fail = true;
    auto failed = append_sync(*s, make_part("h2", 2, 2, "me"));
    EXPECT_EQ(failed.first, vrnum::errc::unavailable);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts"), 1);  // h2 undone
    EXPECT_TRUE(s->messages_after(0, 10).empty());
    fail = false;
    auto retried = append_sync(*s, make_part("h2", 2, 2, "me"));
    ASSERT_FALSE(retried.first);
    EXPECT_FALSE(retried.second.duplicate);
    EXPECT_GT(retried.second.id, 0);
    std::lock_guard lock(m);
    EXPECT_EQ(hooked, (std::vector<std::string>{"hook me"}));
}

TEST(store, multipart_sweep_leaves_a_group_whose_hook_fails_for_the_next_sweep) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    s->on_append([&](vrnum::write_txn&, const stored_message& msg) {
        if (msg.text == "refused") {
            throw std::runtime_error("routing failed");
        }
    });
    ASSERT_FALSE(append_sync(*s, make_part("g1", 1, 2, "refused", "1")).first);
    ASSERT_FALSE(append_sync(*s, make_part("g2", 1, 2, "kept", "2")).first);
    EXPECT_EQ(s->join_expired_parts(received + timeout_ms), 1u);
    auto listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].text, "kept");
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts WHERE message_id IS NULL"), 1);
}

TEST(store, multipart_part_numbers_outside_the_total_are_refused) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    EXPECT_EQ(append_sync(*s, make_part("bad0", 0, 2, "x")).first, vrnum::errc::malformed);
    EXPECT_EQ(append_sync(*s, make_part("bad3", 3, 2, "x")).first, vrnum::errc::malformed);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts"), 0);
}

TEST(store, multipart_parts_go_with_their_message_in_the_purge) {
    temp_dir dir;
    auto s = open_store(config_in(dir));
    ASSERT_FALSE(append_sync(*s, make_part("j1", 1, 2, "joined ")).first);
    ASSERT_FALSE(append_sync(*s, make_part("j2", 2, 2, "message")).first);
    ASSERT_FALSE(append_sync(*s, make_part("old", 1, 2, "never joined", "3")).first);
    ASSERT_FALSE(
        append_sync(*s, make_part("new", 1, 2, "still open", "4", "+447700900001", 100'000)).first);
    ASSERT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts"), 4);

    EXPECT_EQ(s->purge_before(received + 1000), 1u);
    EXPECT_TRUE(s->messages_after(0, 10).empty());
    // The joined message's parts and the old open part are gone; the newer open one stays.
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts"), 1);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts WHERE provider_id = 'new'"), 1);
    // A retry of a purged part is stored anew (as a purged message's would be).
    EXPECT_FALSE(append_sync(*s, make_part("j1", 1, 2, "joined ")).second.duplicate);
    EXPECT_EQ(s->purge_before(received + 200'000), 0u);
    EXPECT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts"), 0);
}

TEST(store, multipart_parts_are_sealed_at_rest_under_names_of_their_own) {
    temp_dir dir;
    auto cfg = config_in(dir);
    const std::string canary_text = "CANARY-PART-TEXT-51c3";
    const std::string canary_sender = "CANARY-PART-FROM-9e0d";
    auto s = open_store(cfg);
    for (int i = 0; i < 10; ++i) {
        // Joined ones (parts 1 and 2 of 2) and open ones (part 1 of 3).
        const std::string ref = "ref" + std::to_string(i);
        const std::string text = canary_text + "-" + std::to_string(i);
        ASSERT_FALSE(append_sync(*s, make_part(ref + "a", 1, 2, text, ref, canary_sender)).first);
        ASSERT_FALSE(append_sync(*s, make_part(ref + "b", 2, 2, text, ref, canary_sender)).first);
        ASSERT_FALSE(append_sync(*s, make_part(ref + "c", 1, 3, text, ref, canary_sender)).first);
    }
    for (int pass = 0; pass < 2; ++pass) {  // the WAL, then the main file after a checkpoint
        for (const auto& e : fs::directory_iterator(cfg.path.parent_path())) {
            std::string bytes = file_bytes(e.path());
            EXPECT_EQ(bytes.find(canary_text), std::string::npos) << e.path();
            EXPECT_EQ(bytes.find(canary_sender), std::string::npos) << e.path();
        }
        s->close();
        s = open_store(cfg);
    }
    auto listed = s->messages_after(0, 100);
    ASSERT_EQ(listed.size(), 10u);
    EXPECT_EQ(listed[0].text, canary_text + "-0" + canary_text + "-0");
    EXPECT_EQ(listed[0].from, canary_sender);

    // A part's envelope moved into a message row of the same id does not open there.
    const std::int64_t id = listed[0].id;
    ASSERT_EQ(count_rows(*s, "SELECT COUNT(*) FROM message_parts WHERE id = ?1", id), 1);
    ASSERT_FALSE(write_sync(*s, [&](vrnum::write_txn& t) {
        t.exec(
            "UPDATE messages SET body = (SELECT body FROM message_parts WHERE id = ?1) "
            "WHERE id = ?1",
            {id});
    }));
    EXPECT_THROW(s->messages_after(0, 100), std::runtime_error);
}

TEST(store, multipart_parts_are_resealed_after_a_rotation) {
    temp_dir dir;
    auto cfg = config_in(dir);
    {
        auto s = open_store(cfg);
        ASSERT_FALSE(append_sync(*s, make_part("k1", 1, 3, "before ")).first);
        ASSERT_FALSE(append_sync(*s, make_part("k2", 2, 3, "rotation ")).first);
    }
    auto before = store::key_status(cfg);
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].rows, 2);  // parts count as sealed rows
    const std::uint32_t old_id = before[0].key_id;
    store::add_key(cfg);
    {
        auto s = open_store(cfg);  // re-seals in the background
        EXPECT_EQ(vrnum::test::wait_resealed(cfg, old_id), 0);
    }
    // The old key is gone from the file: the re-sealed parts still open and join.
    auto keys = vrnum::detail::read_key_file(cfg.key_file);
    ASSERT_TRUE(keys && keys->size() == 2u);
    vrnum::detail::rewrite_key_file(cfg.key_file, {keys->back()});
    auto s = open_store(cfg);
    auto last = append_sync(*s, make_part("k3", 3, 3, "and after"));
    ASSERT_FALSE(last.first) << last.first.message();
    auto listed = s->messages_after(0, 10);
    ASSERT_EQ(listed.size(), 1u);
    EXPECT_EQ(listed[0].text, "before rotation and after");
}

TEST(store, a_store_of_parts_alone_refuses_to_start_without_its_key) {
    temp_dir dir;
    auto cfg = config_in(dir);
    {
        auto s = open_store(cfg);
        ASSERT_FALSE(append_sync(*s, make_part("only", 1, 2, "waiting")).first);
    }
    fs::remove(cfg.key_file);
    EXPECT_THROW(open_store(cfg), std::runtime_error);
    EXPECT_FALSE(fs::exists(cfg.key_file));
}

// The gateway runs the sweep by itself, a quarter of the shortest timeout apart.
TEST(store, gateway_stores_expired_parts_as_partial_on_its_own) {
    auto cfg = vrnum::test::test_config();
    vrnum::source_config src;
    src.id = "vonage";
    src.kind = vrnum::source_kind::hmac;
    src.secrets = {"s"};
    src.header = "X-Signature";
    src.multipart_timeout_seconds = 1;
    cfg.sources.push_back(src);
    // Declared before the gateway, so that they outlive its threads.
    std::mutex m;
    std::condition_variable cv;
    std::vector<stored_message> heard;
    vrnum::test::running_gateway g(cfg);
    g.gw().message_store().on_commit([&](const std::vector<stored_message>& b) {
        std::lock_guard lock(m);
        heard.insert(heard.end(), b.begin(), b.end());
        cv.notify_all();
    });
    auto part = make_part("gw1", 1, 2, "half");
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    part.received_at = now;
    part.part->deadline = now + 1000;
    ASSERT_FALSE(append_sync(g.gw().message_store(), part).first);
    std::unique_lock lock(m);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(10), [&] { return !heard.empty(); }));
    ASSERT_EQ(heard.size(), 1u);
    EXPECT_TRUE(heard[0].partial);
    EXPECT_EQ(heard[0].text, "half");
}

}  // namespace
