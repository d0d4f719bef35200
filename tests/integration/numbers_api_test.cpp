// Rentals and the inbox against the real vrnumd over loopback: Idempotency-Key semantics,
// money and stock answers, routing of signed webhooks to the renter only, and the live
// stream (`/messages/stream`): an SMS reaches an open stream, a reconnect with
// Last-Event-ID gets what it missed, shutdown closes streams.

#include <chrono>
#include <future>
#include <set>

#include <gtest/gtest.h>

#include "support/account_helpers.hpp"
#include "support/signing.hpp"

namespace vrnumd::numbers {
namespace {

using namespace vrnum::test;

const std::string two_numbers =
    "numbers:\n  pool: [ { number: \"+37255500001\", country: EE }, { number: \"+37255500002\", "
    "country: EE } ]\n  catalog: [ { country: EE, days: 30, price_minor: 500 } ]\n";

const std::string three_numbers =
    "numbers:\n  pool: [ { number: \"+37255500001\", country: EE }, { number: \"+37255500002\", "
    "country: EE }, { number: \"+37255500003\", country: EE } ]\n"
    "  catalog: [ { country: EE, days: 30, price_minor: 500 } ]\n";

std::string order(int days = 30, bool auto_renew = false) {
    return json_text({{"country", "EE"}, {"days", days}, {"auto_renew", auto_renew}});
}

void fund(const account_daemon& d, const std::string& email, const std::string& amount) {
    auto r = d.cli({"wallet", "adjust", email, amount, "--reason", "test funds"});
    ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
}

// Posts a signed SMS to the `demo` source; the webhook's status.
unsigned sms(const account_daemon& d, const std::string& id, const std::string& to,
             const std::string& text) {
    std::string body =
        json_text({{"id", id}, {"from", "+447700900001"}, {"to", to}, {"text", text}});
    auto r = request(d.address(), "POST", "/webhooks/demo", body,
                     {{"Content-Type", "application/json"},
                      {"X-Signature", hmac_sha256_hex("test-secret", body)}});
    return r ? r->status : 0;
}

// An open `/messages/stream` of a logged-in client.
class event_stream {
  public:
    event_stream(const account_daemon& d, const api_client& c, const std::string& last_id = "")
        : conn_(d.address()) {
        std::string req =
            "GET /api/v1/messages/stream HTTP/1.1\r\nHost: t\r\nCookie: " + c.cookie() + "\r\n" +
            (last_id.empty() ? "" : "Last-Event-ID: " + last_id + "\r\n") + "\r\n";
        conn_.send(req);
    }
    /// Reads until `needle` has come (true) or `limit` passed.
    bool wait_for_text(const std::string& needle,
                       std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        auto end = std::chrono::steady_clock::now() + limit;
        while (seen_.find(needle) == std::string::npos) {
            if (std::chrono::steady_clock::now() > end) {
                return false;
            }
            seen_ += conn_.read_within(std::chrono::milliseconds(100));
        }
        return true;
    }
    /// Everything read so far (after reading what is there now).
    const std::string& seen() {
        seen_ += conn_.read_within(std::chrono::milliseconds(100));
        return seen_;
    }
    /// True once the server ended the stream: the chunked body's last chunk, or the
    /// connection closed.
    bool ended() {
        seen();
        return seen_.find("\r\n0\r\n\r\n") != std::string::npos || conn_.eof();
    }

  private:
    http_connection conn_;
    std::string seen_;
};

TEST(rentals, an_idempotency_key_is_required_and_replays_the_first_answer) {
    account_daemon d(three_numbers);
    sign_up(d, "renter@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("renter@example.com"));
    fund(d, "renter@example.com", "600");

    auto missing = c.call("POST", "/numbers", order());
    EXPECT_EQ(missing.status, 400) << missing.body;
    EXPECT_EQ(body_of(missing).at("error"), "malformed");

    auto first = c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k1"}});
    ASSERT_EQ(first.status, 201) << first.body;
    auto again = c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k1"}});
    EXPECT_EQ(again.status, 201);
    EXPECT_EQ(again.body, first.body);
    EXPECT_EQ(body_of(c.call("GET", "/wallet")).at("balance_minor"), 100);  // charged once
    auto other = c.call("POST", "/numbers", order(30, true), {{"Idempotency-Key", "k1"}});
    EXPECT_EQ(other.status, 422) << other.body;
    EXPECT_EQ(c.call("POST", "/numbers", order(7), {{"Idempotency-Key", "k9"}}).status, 422);

    // Short of money: 402, and the key keeps that answer even after a top-up.
    EXPECT_EQ(c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k2"}}).status, 402);
    fund(d, "renter@example.com", "1000");
    EXPECT_EQ(c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k2"}}).status, 402);
    auto second = c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k3"}});
    ASSERT_EQ(second.status, 201) << second.body;
    EXPECT_NE(body_of(second).at("number"), body_of(first).at("number"));
    // Ten requests with one key at once: one rental, one charge, one answer.
    std::vector<std::future<http_answer>> racing;
    for (int i = 0; i < 10; ++i) {
        racing.push_back(std::async(std::launch::async, [&] {
            api_client same(c);
            return same.call("POST", "/numbers", order(), {{"Idempotency-Key", "race"}});
        }));
    }
    std::set<std::string> answers;
    for (auto& f : racing) {
        auto a = f.get();
        answers.insert(std::to_string(a.status) + " " + a.body);
    }
    EXPECT_EQ(answers.size(), 1U);
    ASSERT_EQ(answers.begin()->substr(0, 3), "201") << *answers.begin();
    EXPECT_EQ(body_of(c.call("GET", "/wallet")).at("balance_minor"), 100);

    // None left: 409.
    EXPECT_EQ(c.call("POST", "/numbers", order(), {{"Idempotency-Key", "k4"}}).status, 409);
    auto catalog = body_of(c.call("GET", "/catalog"));
    EXPECT_EQ(catalog.at("items").as_array()[0].at("available"), 0);
    EXPECT_EQ(catalog.at("items").as_array()[0].at("price_minor"), 500);

    std::int64_t id = body_of(first).at("id").as_int64();
    auto list = body_of(c.call("GET", "/numbers"));
    EXPECT_EQ(list.at("items").as_array().size(), 3U);
    fund(d, "renter@example.com", "500");
    auto renewed =
        c.call("POST", "/numbers/" + std::to_string(id) + "/renew", json_text({{"days", 30}}));
    ASSERT_EQ(renewed.status, 200) << renewed.body;
    EXPECT_GT(body_of(renewed).at("expires_at").as_string(),
              body_of(first).at("expires_at").as_string());
    EXPECT_EQ(body_of(c.call("GET", "/wallet")).at("balance_minor"), 100);
    EXPECT_EQ(c.call("POST", "/numbers/" + std::to_string(id) + "/renew", json_text({{"days", 30}}))
                  .status,
              402);
    auto patched =
        c.call("PATCH", "/numbers/" + std::to_string(id), json_text({{"auto_renew", true}}));
    ASSERT_EQ(patched.status, 200) << patched.body;
    EXPECT_EQ(body_of(patched).at("auto_renew"), true);
    EXPECT_TRUE(mailed(d.mail_dir(), "renter@example.com", "is ready"));
    EXPECT_TRUE(mailed(d.mail_dir(), "renter@example.com", "renewed for 30 days"));

    // The operator's figures: per day and country, no account in them.
    auto stats = d.cli({"stats", "--json"});
    ASSERT_EQ(stats.exit_code, 0) << stats.err;
    auto days = boost::json::parse(stats.out).at("days").as_array();
    ASSERT_EQ(days.size(), 1U) << stats.out;
    EXPECT_EQ(days[0].at("country"), "EE");
    EXPECT_EQ(days[0].at("rentals"), 3);
    EXPECT_EQ(days[0].at("renewals"), 1);
    EXPECT_EQ(stats.out.find("renter"), std::string::npos);
    auto table = d.cli({"stats", "--days", "7"});
    EXPECT_NE(table.out.find("3 rentals, 1 renewals"), std::string::npos) << table.out;

    // An unconfirmed address cannot rent.
    ASSERT_EQ(request(d.address(), "POST", "/api/v1/auth/register",
                      json_text({{"email", "unconfirmed@example.com"},
                                 {"password", good_password},
                                 {"age_confirmed", true}}),
                      {{"Content-Type", "application/json"}, {"Origin", d.origin()}})
                  ->status,
              202);
    api_client u(d.address());
    ASSERT_TRUE(u.login("unconfirmed@example.com"));
    EXPECT_EQ(u.call("POST", "/numbers", order(), {{"Idempotency-Key", "u1"}}).status, 403);
}

TEST(inbox, an_sms_reaches_its_renter_only_live_and_after_a_reconnect) {
    account_daemon d(two_numbers);
    sign_up(d, "alice@example.com");
    sign_up(d, "bob@example.com");
    api_client alice(d.address()), bob(d.address());
    ASSERT_TRUE(alice.login("alice@example.com"));
    ASSERT_TRUE(bob.login("bob@example.com"));
    fund(d, "alice@example.com", "500");
    fund(d, "bob@example.com", "500");
    auto a = body_of(alice.call("POST", "/numbers", order(), {{"Idempotency-Key", "a"}}));
    auto b = body_of(bob.call("POST", "/numbers", order(), {{"Idempotency-Key", "b"}}));
    std::string alice_number(a.at("number").as_string());

    event_stream alice_live(d, alice), bob_live(d, bob);
    ASSERT_TRUE(alice_live.wait_for_text(": connected"));
    ASSERT_TRUE(bob_live.wait_for_text(": connected"));
    ASSERT_EQ(sms(d, "m1", alice_number, "Your code: 123-456. Do not share it."), 200U);
    ASSERT_TRUE(alice_live.wait_for_text("event: message")) << alice_live.seen();
    ASSERT_TRUE(alice_live.wait_for_text("\n\n"));
    EXPECT_NE(alice_live.seen().find(R"("code":"123456")"), std::string::npos);
    EXPECT_EQ(bob_live.seen().find("event: message"), std::string::npos);

    auto items = body_of(alice.call("GET", "/messages")).at("items").as_array();
    ASSERT_EQ(items.size(), 1U);
    std::int64_t first_id = items[0].at("id").as_int64();
    EXPECT_EQ(items[0].at("number_id"), a.at("id"));
    EXPECT_EQ(items[0].at("read"), false);
    EXPECT_TRUE(body_of(bob.call("GET", "/messages")).at("items").as_array().empty());
    // Another's number in the query is not found, as in a path.
    EXPECT_EQ(
        alice.call("GET", "/messages?number_id=" + std::to_string(b.at("id").as_int64())).status,
        404);
    EXPECT_EQ(
        body_of(alice.call("GET", "/messages?number_id=" + std::to_string(a.at("id").as_int64())))
            .at("items")
            .as_array()
            .size(),
        1U);

    // Two more while Alice is away; her reconnect with Last-Event-ID receives both.
    ASSERT_EQ(sms(d, "m2", alice_number, "second 5555"), 200U);
    ASSERT_EQ(sms(d, "m3", alice_number, "third"), 200U);
    ASSERT_EQ(sms(d, "m4", "+37255599999", "nobody rents this"), 200U);
    event_stream resumed(d, alice, std::to_string(first_id));
    ASSERT_TRUE(resumed.wait_for_text("third")) << resumed.seen();
    EXPECT_NE(resumed.seen().find("second 5555"), std::string::npos);
    EXPECT_EQ(resumed.seen().find("Do not share"), std::string::npos);
    EXPECT_EQ(bob_live.seen().find("event: message"), std::string::npos);

    auto read =
        alice.call("PATCH", "/messages/" + std::to_string(first_id), json_text({{"read", true}}));
    ASSERT_EQ(read.status, 200) << read.body;
    EXPECT_EQ(body_of(read).at("read"), true);
    EXPECT_EQ(
        bob.call("PATCH", "/messages/" + std::to_string(first_id), json_text({{"read", true}}))
            .status,
        404);
    EXPECT_EQ(bob.call("DELETE", "/messages/" + std::to_string(first_id)).status, 404);
    EXPECT_EQ(alice.call("DELETE", "/messages/" + std::to_string(first_id)).status, 204);
    EXPECT_EQ(alice.call("DELETE", "/messages/" + std::to_string(first_id)).status, 404);
    EXPECT_EQ(body_of(alice.call("GET", "/messages")).at("items").as_array().size(), 2U);

    // A heartbeat keeps a quiet stream open; once Bob's sessions end, so does his stream.
    ASSERT_TRUE(bob_live.wait_for_text(": heartbeat", std::chrono::seconds(25)));
    EXPECT_EQ(bob_live.seen().find("event: message"), std::string::npos);
    ASSERT_EQ(bob.call("POST", "/auth/logout-all").status, 204);
    EXPECT_TRUE(wait_for([&] { return bob_live.ended(); }, std::chrono::seconds(25)));

    // Shutdown closes the open streams.
    auto t0 = std::chrono::steady_clock::now();
    d.stop();
    EXPECT_TRUE(wait_for([&] { return resumed.ended(); }, std::chrono::seconds(20)));
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(20));
}

}  // namespace
}  // namespace vrnumd::numbers
