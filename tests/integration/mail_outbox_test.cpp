// The mail outbox on a real store: queued in the caller's transaction, sent by the worker,
// retried and given up as the transport answers, never sent twice, sealed at rest, erased
// with its account; the file transport's .eml judged by Python's email package.

#include <deque>
#include <fstream>
#include <mutex>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <vrnum/time.hpp>

#include "mail/file_transport.hpp"
#include "mail/mailer.hpp"
#include "mail/outbox_store.hpp"
#include "support/mail_helpers.hpp"
#include "support/process.hpp"
#include "support/store_helpers.hpp"

namespace {

using namespace vrnumd::mail;
using namespace vrnum::test;
using outcome = send_result::outcome;

// A transport that answers from a script and counts what it was asked to send: the worker's
// state machine under test, with no network between (the SES tests have a real peer).
class scripted_transport final : public transport {
  public:
    struct state {
        std::mutex mu;
        std::deque<outcome> script;
        std::vector<std::int64_t> sent_ids;  // every attempt, in order
        std::vector<std::string> erased;
        std::vector<std::string> kept;      // what `kept()` says it holds copies of
        std::function<void()> during_send;  // run by the worker's thread in each send
    };
    explicit scripted_transport(std::shared_ptr<state> s) : s_(std::move(s)) {}
    boost::asio::awaitable<send_result> send(const outgoing_mail& m) override {
        if (s_->during_send) {
            s_->during_send();  // e.g. an erasure while the mail is out
        }
        std::lock_guard lock(s_->mu);
        s_->sent_ids.push_back(m.id);
        outcome o = outcome::sent;
        if (!s_->script.empty()) {
            o = s_->script.front();
            s_->script.pop_front();
        }
        co_return send_result{o, o == outcome::dead ? "refused for " + m.to.address : "503"};
    }
    void erase(const std::vector<std::string>& tokens) override {
        std::lock_guard lock(s_->mu);
        s_->erased.insert(s_->erased.end(), tokens.begin(), tokens.end());
    }
    std::vector<std::string> kept() const override {
        std::lock_guard lock(s_->mu);
        return s_->kept;
    }
    std::string_view name() const override { return "scripted"; }

  private:
    std::shared_ptr<state> s_;
};

struct outbox_fixture : ::testing::Test {
    temp_dir dir;
    vrnum::store_config cfg = config_in(dir);
    std::shared_ptr<vrnum::store> st = open_mail_store(cfg);
    std::shared_ptr<scripted_transport::state> script =
        std::make_shared<scripted_transport::state>();

    std::unique_ptr<mailer> scripted_mailer(mailer_options o = fast_options()) {
        return std::make_unique<mailer>(
            *st,
            [s = script](boost::asio::any_io_executor) {
                return std::make_unique<scripted_transport>(s);
            },
            template_set::builtin(), mailbox{"VRNUM", "no-reply@example.com"}, test_site(),
            quiet_logger(), o);
    }
    std::size_t attempts() {
        std::lock_guard lock(script->mu);
        return script->sent_ids.size();
    }
};

TEST_F(outbox_fixture, a_mail_exists_exactly_when_its_event_commits) {
    auto m = scripted_mailer();
    // The event fails after queueing its mail: neither is stored.
    auto ec = write_sync(*st, [&](vrnum::write_txn& txn) {
        m->enqueue(txn, test_mail("a@example.com"));
        throw std::runtime_error("the event failed");
    });
    EXPECT_TRUE(ec);
    // A bad request fails the event's transaction too.
    EXPECT_TRUE(write_sync(*st, [&](vrnum::write_txn& txn) {
        m->enqueue(txn, {"not an address", "test_message", {}, std::nullopt});
    }));
    EXPECT_TRUE(write_sync(*st, [&](vrnum::write_txn& txn) {
        m->enqueue(txn, {"a@example.com", "confirm_email", {}, std::nullopt});
    }));
    EXPECT_EQ(counts(*st).queued, 0);
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    EXPECT_GT(id, 0);
    EXPECT_EQ(counts(*st).queued, 1);
    m->start();
    EXPECT_TRUE(wait_for([&] { return counts(*st).sent == 1; }));
    EXPECT_EQ(attempts(), 1u);
}

TEST_F(outbox_fixture, transient_failures_retry_with_backoff_then_send_once) {
    script->script = {outcome::retry, outcome::retry};
    auto m = scripted_mailer();
    m->start();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    m->wake();
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    auto s = state_of(*st, id);
    EXPECT_EQ(s.attempts, 3);
    EXPECT_FALSE(s.has_content) << "a sent row keeps no body";
    EXPECT_EQ(attempts(), 3u);
}

TEST_F(outbox_fixture, the_first_retry_is_due_within_30_seconds_with_the_defaults) {
    script->script = {outcome::retry};
    mailer_options o;  // the daemon's defaults
    o.poll = std::chrono::milliseconds(50);
    auto m = scripted_mailer(o);
    m->start();
    vrnum::unix_ms before = vrnum::now_unix_ms();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    ASSERT_TRUE(wait_for([&] { return attempts() == 1 && !state_of(*st, id).last_error.empty(); }));
    vrnum::unix_ms due = next_attempt_at(*st, id);
    EXPECT_GT(due, before);
    EXPECT_LE(due - before, 30'000);
    EXPECT_EQ(state_of(*st, id).status, "queued");
}

TEST_F(outbox_fixture, a_refusal_is_dead_at_once_with_its_reason_and_no_address) {
    script->script = {outcome::dead};
    auto m = scripted_mailer();
    m->start();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("private.person@example.org"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "dead"; }));
    auto s = state_of(*st, id);
    EXPECT_EQ(s.attempts, 1);
    EXPECT_EQ(s.last_error, "refused for <address>");
    EXPECT_FALSE(s.has_content);
    EXPECT_EQ(attempts(), 1u);
}

TEST_F(outbox_fixture, gives_up_after_the_last_attempt) {
    script->script = {outcome::retry, outcome::retry, outcome::retry, outcome::retry};
    mailer_options o = fast_options();
    o.max_attempts = 3;
    auto m = scripted_mailer(o);
    m->start();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "dead"; }));
    EXPECT_EQ(state_of(*st, id).last_error, "gave up after 3 attempts: 503");
    EXPECT_EQ(attempts(), 3u);
}

TEST_F(outbox_fixture, a_sent_row_is_never_sent_again_across_restarts) {
    {
        auto m = scripted_mailer();
        m->start();
        enqueue_sync(*st, *m, test_mail("a@example.com"));
        ASSERT_TRUE(wait_for([&] { return counts(*st).sent == 1; }));
    }
    st->close();
    st = open_mail_store(cfg);
    auto again = scripted_mailer();
    again->start();
    std::int64_t second = enqueue_sync(*st, *again, test_mail("b@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, second).status == "sent"; }));
    EXPECT_EQ(attempts(), 2u);  // the first mail once, the second once
}

TEST_F(outbox_fixture, an_attempt_cut_short_by_a_crash_is_taken_up_after_its_lease) {
    auto m = scripted_mailer();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    // A worker took the row and died before it recorded anything.
    vrnum::unix_ms due = next_attempt_at(*st, id);
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        ASSERT_TRUE(claim_mail(txn, id, due, vrnum::now_unix_ms() + 300));
    }));
    m->start();
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    EXPECT_EQ(attempts(), 1u);
    EXPECT_EQ(state_of(*st, id).attempts, 2);
}

TEST_F(outbox_fixture, no_plaintext_recipient_or_body_in_the_database_or_its_wal) {
    script->script = {outcome::retry};
    mailer_options o = fast_options();
    o.retry_base = std::chrono::hours(1);  // stays queued, its content sealed in the row
    auto m = scripted_mailer(o);
    m->start();
    const std::string address = "very.private.person@example.org";
    mail_request r{address,
                   "confirm_email",
                   {{"token", "UniqueTokenMarker42"}, {"valid_hours", 24}},
                   std::nullopt};
    std::int64_t id = enqueue_sync(*st, *m, r);
    ASSERT_TRUE(wait_for([&] { return attempts() == 1; }));
    std::int64_t sent = enqueue_sync(*st, *m, test_mail(address));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, sent).status == "sent"; }));
    EXPECT_TRUE(state_of(*st, id).has_content);
    for (const char* suffix : {"", "-wal"}) {
        std::string bytes = file_bytes(cfg.path.string() + suffix);
        EXPECT_FALSE(bytes.empty() && std::string(suffix).empty());
        EXPECT_EQ(bytes.find(address), std::string::npos) << suffix;
        EXPECT_EQ(bytes.find("very.private.person"), std::string::npos) << suffix;
        EXPECT_EQ(bytes.find("UniqueTokenMarker42"), std::string::npos) << suffix;
    }
}

TEST_F(outbox_fixture, an_account_erasure_takes_its_rows_and_what_the_transport_kept) {
    auto m = scripted_mailer();
    mail_request mine = test_mail("a@example.com");
    mine.account_id = 7;
    mail_request other = test_mail("b@example.com");
    other.account_id = 8;
    std::int64_t a = enqueue_sync(*st, *m, mine);
    std::int64_t b = enqueue_sync(*st, *m, other);
    std::string token = state_of(*st, a).token;
    std::vector<std::string> erased_tokens;
    ASSERT_FALSE(
        write_sync(*st, [&](vrnum::write_txn& txn) { erased_tokens = m->erase_account(txn, 7); }));
    m->forget(erased_tokens);
    EXPECT_FALSE(find_state(*st, a));
    EXPECT_TRUE(find_state(*st, b));
    std::lock_guard lock(script->mu);
    EXPECT_EQ(script->erased, std::vector<std::string>{token});
}

// Another account's mail to the erased address (an email change it asked for) goes too.
TEST_F(outbox_fixture, an_erasure_by_address_takes_other_accounts_mail_to_it) {
    auto m = scripted_mailer();
    mail_request mine = test_mail("Erased@Example.com");
    mine.account_id = 7;
    mail_request to_me = test_mail("erased@example.COM");
    to_me.account_id = 8;
    mail_request unrelated = test_mail("kept@example.com");
    unrelated.account_id = 8;
    std::int64_t a = enqueue_sync(*st, *m, mine);
    std::int64_t b = enqueue_sync(*st, *m, to_me);
    std::int64_t c = enqueue_sync(*st, *m, unrelated);
    std::vector<std::string> tokens;
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        tokens = m->erase_account(txn, 7, "erased@example.com");
    }));
    EXPECT_EQ(tokens.size(), 2U);
    EXPECT_FALSE(find_state(*st, a));
    EXPECT_FALSE(find_state(*st, b));
    EXPECT_TRUE(find_state(*st, c));
}

// A row from before mail migration 2 has no recipient index: its recipient is opened.
TEST_F(outbox_fixture, an_erasure_by_address_also_finds_rows_without_an_index) {
    auto m = scripted_mailer();
    mail_request old_row = test_mail("legacy@example.com");
    old_row.account_id = 8;
    std::int64_t a = enqueue_sync(*st, *m, old_row);
    std::int64_t b = enqueue_sync(*st, *m, test_mail("other@example.com"));
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        txn.exec("UPDATE mail_outbox SET recipient_index = NULL");
    }));
    std::vector<std::string> tokens;
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        tokens = m->erase_account(txn, 7, "Legacy@example.com");
    }));
    EXPECT_EQ(tokens.size(), 1U);
    EXPECT_FALSE(find_state(*st, a));
    EXPECT_TRUE(find_state(*st, b));
}

// A copy whose row is gone (a crash between an erasure's commit and the files' deletion) is
// swept by the purge; copies of live rows stay.
TEST_F(outbox_fixture, the_purge_sweeps_copies_whose_rows_are_gone) {
    auto m = scripted_mailer();
    std::int64_t live = enqueue_sync(*st, *m, test_mail("live@example.com"));
    std::string live_token = state_of(*st, live).token;
    {
        std::lock_guard lock(script->mu);
        script->kept = {live_token, "0123456789abcdef0123456789abcdef"};
    }
    m->purge_finished();
    std::lock_guard lock(script->mu);
    EXPECT_EQ(script->erased, std::vector<std::string>{"0123456789abcdef0123456789abcdef"});
}

TEST_F(outbox_fixture, a_late_result_never_lands_on_another_mail_or_attempt) {
    auto m = scripted_mailer();
    mail_request mine = test_mail("a@example.com");
    mine.account_id = 7;
    std::int64_t a = enqueue_sync(*st, *m, mine);
    std::string token = state_of(*st, a).token;
    vrnum::unix_ms due = next_attempt_at(*st, a);
    ASSERT_FALSE(write_sync(
        *st, [&](vrnum::write_txn& txn) { ASSERT_TRUE(claim_mail(txn, a, due, due + 1)); }));
    // The account goes while the attempt is out; the next mail must not take the freed id.
    std::vector<std::string> erased_tokens;
    ASSERT_FALSE(
        write_sync(*st, [&](vrnum::write_txn& txn) { erased_tokens = m->erase_account(txn, 7); }));
    m->forget(erased_tokens);
    std::int64_t b = enqueue_sync(*st, *m, test_mail("b@example.com"));
    EXPECT_GT(b, a);
    bool ours = true;
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        ours = mark_sent(txn, {a, token, 1}, vrnum::now_unix_ms());
    }));
    EXPECT_FALSE(ours);
    EXPECT_EQ(state_of(*st, b).status, "queued");
    EXPECT_TRUE(state_of(*st, b).has_content);

    // A first attempt outlived its lease and a second took the row: the first one's late
    // result changes nothing.
    vrnum::unix_ms due_b = next_attempt_at(*st, b);
    std::string token_b = state_of(*st, b).token;
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        ASSERT_TRUE(claim_mail(txn, b, due_b, due_b + 1));
        ASSERT_TRUE(claim_mail(txn, b, due_b + 1, due_b + 2));
        EXPECT_FALSE(mark_dead(txn, {b, token_b, 1}, due_b, "late"));
        EXPECT_FALSE(mark_retry(txn, {b, token_b, 1}, due_b, "late"));
        EXPECT_TRUE(mark_sent(txn, {b, token_b, 2}, due_b));
        EXPECT_FALSE(mark_dead(txn, {b, token_b, 2}, due_b, "after sent"));
    }));
    EXPECT_EQ(state_of(*st, b).status, "sent");
}

TEST_F(outbox_fixture, an_erasure_during_a_send_takes_what_the_send_left_behind) {
    auto m = scripted_mailer();
    mail_request mine = test_mail("a@example.com");
    mine.account_id = 9;
    std::int64_t id = enqueue_sync(*st, *m, mine);
    std::string token = state_of(*st, id).token;
    script->during_send = [&] {
        std::vector<std::string> erased_tokens;
        ASSERT_FALSE(write_sync(
            *st, [&](vrnum::write_txn& txn) { erased_tokens = m->erase_account(txn, 9); }));
        m->forget(erased_tokens);
    };
    m->start();
    ASSERT_TRUE(wait_for([&] {
        std::lock_guard lock(script->mu);
        return script->erased.size() == 2;
    }));
    EXPECT_FALSE(find_state(*st, id));
    std::lock_guard lock(script->mu);
    EXPECT_EQ(script->erased, (std::vector<std::string>{token, token}));  // at erasure, after send
}

TEST_F(outbox_fixture, finished_rows_go_after_30_days_and_queued_ones_stay) {
    auto m = scripted_mailer();
    m->start();
    std::int64_t sent = enqueue_sync(*st, *m, test_mail("a@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, sent).status == "sent"; }));
    m->stop();
    std::int64_t queued = enqueue_sync(*st, *m, test_mail("b@example.com"));
    EXPECT_EQ(m->purge_finished(), 0u) << "not 30 days old yet";
    mailer_options later = fast_options();
    later.clock = [] { return vrnum::now_unix_ms() + 31LL * 86'400'000; };
    std::string token = state_of(*st, sent).token;
    EXPECT_EQ(scripted_mailer(later)->purge_finished(), 1u);
    EXPECT_FALSE(find_state(*st, sent));
    EXPECT_TRUE(find_state(*st, queued));
    std::lock_guard lock(script->mu);
    EXPECT_EQ(script->erased, std::vector<std::string>{token});
}

TEST_F(outbox_fixture, a_row_that_cannot_be_opened_goes_dead_instead_of_blocking) {
    auto m = scripted_mailer();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    ASSERT_FALSE(write_sync(*st, [&](vrnum::write_txn& txn) {
        txn.exec("UPDATE mail_outbox SET recipient = x'00112233' WHERE id = ?1", {id});
    }));
    std::int64_t ok = enqueue_sync(*st, *m, test_mail("b@example.com"));
    m->start();
    ASSERT_TRUE(wait_for([&] { return state_of(*st, ok).status == "sent"; }));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "dead"; }));
    EXPECT_NE(state_of(*st, id).last_error.find("do not open"), std::string::npos);
    EXPECT_EQ(attempts(), 1u);
}

// The outbox's sealed rows count with the store's keys: checked at start, listed by
// `keys status`, re-sealed after a rotation.
TEST_F(outbox_fixture, sealed_mail_rows_are_under_the_store_key_handling) {
    auto m = scripted_mailer();
    std::int64_t id = enqueue_sync(*st, *m, test_mail("a@example.com"));
    const std::vector<vrnum::sealed_table> sealed{sealed_columns()};
    auto before = vrnum::store::key_status(cfg, sealed);
    ASSERT_EQ(before.size(), 1u);
    EXPECT_EQ(before[0].rows, 1) << "the mail row, with no message in the store";
    const std::uint32_t old_key = before[0].key_id;
    m.reset();
    st->close();
    st.reset();

    // No key file, sealed mail present: refuse rather than make a new key.
    auto key = file_bytes(cfg.key_file);
    std::filesystem::remove(cfg.key_file);
    EXPECT_THROW(open_mail_store(cfg), std::runtime_error);
    std::ofstream(cfg.key_file, std::ios::binary) << key;
    std::filesystem::permissions(
        cfg.key_file, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);

    // A rotation re-seals the row in the background; the mail still goes.
    vrnum::store::add_key(cfg);
    st = open_mail_store(cfg);
    std::int64_t left = -1;
    ASSERT_TRUE(wait_for([&] {
        left = 0;
        for (const auto& k : vrnum::store::key_status(cfg, sealed)) {
            left += k.key_id == old_key ? k.rows : 0;
        }
        return left == 0;
    }));
    auto again = scripted_mailer();
    again->start();
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    EXPECT_EQ(attempts(), 1u);
}

// The file transport's output as a mail client reads it.
TEST(file_transport, writes_an_eml_that_python_email_reads_with_utf8_subject_parts_and_links) {
    temp_dir dir;
    auto cfg = config_in(dir);
    auto st = open_mail_store(cfg);
    site_values site = test_site();
    site.site_name = "Номер ☎";
    auto mail_dir = dir.path() / "var/mail";
    mailer m(
        *st, [&](boost::asio::any_io_executor) { return make_file_transport(mail_dir); },
        template_set::builtin(), mailbox{"Номер ☎", "no-reply@example.com"}, site, quiet_logger(),
        fast_options());
    m.start();
    mail_request r{
        "user@example.com", "confirm_email", {{"token", "AbC_123-xyz"}, {"valid_hours", 24}}, 7};
    std::int64_t id = enqueue_sync(*st, m, r);
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    auto file = mail_dir / (state_of(*st, id).token + ".eml");
    ASSERT_TRUE(std::filesystem::exists(file));
    EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto parsed = run({"/usr/bin/python3", source_dir() + "/tests/mail/check_eml.py", file});
    ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
    auto j = boost::json::parse(parsed.out).as_object();
    EXPECT_TRUE(j["defects"].as_array().empty()) << parsed.out;
    EXPECT_EQ(j["subject"].as_string(), "Confirm your email address for Номер ☎");
    EXPECT_EQ(j["from"].as_string(), "Номер ☎ <no-reply@example.com>");
    EXPECT_EQ(j["to"].as_string(), "user@example.com");
    EXPECT_EQ(j["content_type"].as_string(), "multipart/alternative");
    EXPECT_EQ(boost::json::serialize(j["parts"]), R"(["text/plain","text/html"])");
    EXPECT_EQ(boost::json::serialize(j["charsets"]), R"(["utf-8","utf-8"])");
    const std::string link = "https://sms.example.com/confirm-email#token=AbC_123-xyz";
    EXPECT_NE(std::string(j["text"].as_string()).find(link), std::string::npos);
    auto has = [&](const char* key, const std::string& v) {
        for (const auto& l : j[key].as_array()) {
            if (l.as_string() == v) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(has("html_links", link)) << parsed.out;
    EXPECT_TRUE(has("text_links", link)) << parsed.out;
    EXPECT_TRUE(has("html_links", "https://sms.example.com/privacy"));
    EXPECT_LE(j["max_line"].as_int64(), 78);

    // Erasing the account takes the file with the row.
    std::vector<std::string> erased_tokens;
    ASSERT_FALSE(
        write_sync(*st, [&](vrnum::write_txn& txn) { erased_tokens = m.erase_account(txn, 7); }));
    m.forget(erased_tokens);
    EXPECT_FALSE(std::filesystem::exists(file));
}

}  // namespace
