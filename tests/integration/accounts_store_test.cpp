// The accounts tables on a real store with explicit times: link tokens expire and are spent
// once, sessions end when idle or old, addresses are sealed and found by their blind index.

#include <gtest/gtest.h>

#include "accounts/account_store.hpp"
#include "accounts/credential_store.hpp"
#include "store_sync.hpp"
#include "support/daemon_store.hpp"

namespace vrnumd::accounts {
namespace {

using vrnum::test::temp_dir;

struct accounts_store : ::testing::Test {
    temp_dir dir;
    vrnum::store_config cfg = vrnum::test::config_in(dir);
    std::shared_ptr<vrnum::store> st = vrnum::test::open_daemon_store(cfg);
    void write(const vrnum::store::write_fn& fn) { write_sync(*st, fn, "test write"); }
    void read(const vrnum::store::read_fn& fn) { read_sync(*st, fn, "test read"); }
    std::int64_t make(const std::string& email) {
        std::optional<std::int64_t> id;
        write([&](vrnum::write_txn& t) { id = create_account(t, email, "$argon2id$x", {}, 1000); });
        return id.value();
    }
};

TEST_F(accounts_store, an_address_is_taken_once_whatever_its_case) {
    std::int64_t id = make("Some.One@Example.com");
    std::optional<std::int64_t> again;
    write([&](vrnum::write_txn& t) {
        again = create_account(t, " some.one@example.COM ", "h", {}, 2);
    });
    EXPECT_FALSE(again);
    std::optional<account> a;
    read([&](vrnum::read_txn& t) { a = find_account_by_email(t, "SOME.ONE@example.com"); });
    ASSERT_TRUE(a);
    EXPECT_EQ(a->id, id);
    EXPECT_EQ(a->email, "some.one@example.com");
    st->close();
    st.reset();
    for (const char* f : {"var/vrnum.db", "var/vrnum.db-wal"}) {
        EXPECT_EQ(vrnum::test::file_bytes(dir.path() / f).find("some.one"), std::string::npos) << f;
    }
}

TEST_F(accounts_store, a_link_token_is_spent_once_and_expires) {
    std::int64_t id = make("t@example.com");
    std::string first, second, reset;
    write([&](vrnum::write_txn& t) {
        first = issue_token(t, id, token_purpose::confirm_email, 1000, 5000);
        second = issue_token(t, id, token_purpose::confirm_email, 1000, 5000);  // replaces it
        reset = issue_token(t, id, token_purpose::reset_password, 1000, 2000);
    });
    std::optional<token_use> use;
    write([&](vrnum::write_txn& t) {
        use = consume_token(t, first, {token_purpose::confirm_email}, 1500);
    });
    EXPECT_FALSE(use);
    // Not for another purpose, and left for its own.
    write([&](vrnum::write_txn& t) {
        use = consume_token(t, second, {token_purpose::reset_password}, 1500);
    });
    EXPECT_FALSE(use);
    std::optional<std::int64_t> peek;
    read([&](vrnum::read_txn& t) {
        peek = peek_token(t, reset, token_purpose::reset_password, 1500);
    });
    EXPECT_EQ(peek, id);
    write([&](vrnum::write_txn& t) {
        use = consume_token(t, second, {token_purpose::confirm_email}, 1500);
    });
    ASSERT_TRUE(use);
    EXPECT_EQ(use->account_id, id);
    write([&](vrnum::write_txn& t) {
        use = consume_token(t, second, {token_purpose::confirm_email}, 1500);
    });
    EXPECT_FALSE(use);
    // Expired at its expiry time.
    read([&](vrnum::read_txn& t) {
        peek = peek_token(t, reset, token_purpose::reset_password, 2000);
    });
    EXPECT_FALSE(peek);
    write([&](vrnum::write_txn& t) {
        use = consume_token(t, reset, {token_purpose::reset_password}, 2000);
    });
    EXPECT_FALSE(use);
}

TEST_F(accounts_store, sessions_end_when_idle_or_past_their_absolute_end) {
    std::int64_t id = make("s@example.com");
    new_session s;
    write([&](vrnum::write_txn& t) { s = create_session(t, id, 0, 10'000); });
    auto find = [&](vrnum::unix_ms now) {
        std::optional<session_info> f;
        read([&](vrnum::read_txn& t) { f = find_session(t, s.id, now, 3000); });
        return f;
    };
    ASSERT_TRUE(find(2999));
    EXPECT_EQ(find(2999)->csrf_token, s.csrf_token);
    EXPECT_FALSE(find(3000));  // idle
    write([&](vrnum::write_txn& t) { touch_session(t, find(2000)->row, 2500); });
    EXPECT_TRUE(find(5000));
    write([&](vrnum::write_txn& t) { touch_session(t, find(5000)->row, 9000); });
    EXPECT_TRUE(find(9999));
    EXPECT_FALSE(find(10'000));  // absolute end, however recently seen
    std::optional<session_info> none;
    read([&](vrnum::read_txn& t) { none = find_session(t, s.id + "x", 1, 3000); });
    EXPECT_FALSE(none);
    std::int64_t purged = 0;
    write([&](vrnum::write_txn& t) { purged = purge_expired_sessions(t, 10'000, 3000); });
    EXPECT_EQ(purged, 1);
}

TEST_F(accounts_store, a_deletion_can_be_cancelled_until_its_notice_is_queued) {
    std::int64_t id = make("e@example.com");
    bool due = true;
    read([&](vrnum::read_txn& t) { due = due_for_erasure(t, id, 5000); });
    EXPECT_FALSE(due);  // never asked
    write([&](vrnum::write_txn& t) { EXPECT_EQ(schedule_deletion(t, id, 2000), 2000); });
    write([&](vrnum::write_txn& t) { EXPECT_EQ(schedule_deletion(t, id, 3000), 2000); });
    read([&](vrnum::read_txn& t) {
        EXPECT_FALSE(due_for_erasure(t, id, 1999));
        EXPECT_TRUE(due_for_erasure(t, id, 2000));
        EXPECT_FALSE(erasure_notice(t, id));
    });
    write([&](vrnum::write_txn& t) { EXPECT_TRUE(cancel_deletion(t, id)); });
    read([&](vrnum::read_txn& t) { EXPECT_FALSE(due_for_erasure(t, id, 9000)); });

    // Once the erasure's notice is queued, the erasure goes through.
    write([&](vrnum::write_txn& t) {
        schedule_deletion(t, id, 6000);
        set_erasure_notice(t, id, 41);
    });
    write([&](vrnum::write_txn& t) { EXPECT_FALSE(cancel_deletion(t, id)); });
    read([&](vrnum::read_txn& t) {
        EXPECT_TRUE(due_for_erasure(t, id, 6000));
        EXPECT_EQ(erasure_notice(t, id), 41);
    });
}

TEST_F(accounts_store, a_fresh_request_drops_the_notice_of_an_interrupted_erasure) {
    std::int64_t id = make("f@example.com");
    // `accounts delete --now` queued a notice and stopped before erasing.
    write([&](vrnum::write_txn& t) { set_erasure_notice(t, id, 7); });
    write([&](vrnum::write_txn& t) { schedule_deletion(t, id, 1000); });
    read([&](vrnum::read_txn& t) { EXPECT_FALSE(erasure_notice(t, id)); });
}

TEST_F(accounts_store, an_erased_address_leaves_other_accounts_pending_changes) {
    std::int64_t a = make("a@example.com"), b = make("b@example.com");
    write([&](vrnum::write_txn& t) {
        set_pending_email(t, a, "B@example.com");
        issue_token(t, a, token_purpose::change_email, 0, 10'000);
        set_pending_email(t, b, "c@example.com");
    });
    write([&](vrnum::write_txn& t) { forget_pending_address(t, "b@example.com"); });
    read([&](vrnum::read_txn& t) {
        EXPECT_FALSE(load_account(t, a)->pending_email);
        EXPECT_EQ(load_account(t, b)->pending_email, "c@example.com");
        t.query("SELECT count(*) FROM account_tokens WHERE account_id = ?1", {a},
                [&](const vrnum::sql_row& r) { EXPECT_EQ(r.get_int(0), 0); });
    });
}

TEST_F(accounts_store, deleting_an_account_takes_its_credentials_with_it) {
    std::int64_t a = make("a@example.com"), b = make("b@example.com");
    std::string key_a, key_b;
    write([&](vrnum::write_txn& t) {
        create_session(t, a, 0, 10'000);
        create_session(t, b, 0, 10'000);
        key_a = create_api_key(t, a, "a", 0).second;
        key_b = create_api_key(t, b, "b", 0).second;
        issue_token(t, a, token_purpose::reset_password, 0, 10'000);
    });
    write([&](vrnum::write_txn& t) {
        EXPECT_FALSE(revoke_api_key(t, b, 1));  // a's key, b's request
        delete_account_rows(t, a);
    });
    read([&](vrnum::read_txn& t) {
        EXPECT_FALSE(find_api_key(t, key_a));
        EXPECT_TRUE(find_api_key(t, key_b));
        EXPECT_FALSE(load_account(t, a));
        for (const char* table : {"sessions", "api_keys", "account_tokens"}) {
            t.query(std::string("SELECT count(*) FROM ") + table + " WHERE account_id = ?1", {a},
                    [&](const vrnum::sql_row& r) { EXPECT_EQ(r.get_int(0), 0) << table; });
        }
    });
}

}  // namespace
}  // namespace vrnumd::accounts
