// Rentals over time with an injected clock: expiry warnings, auto-renewal (and its failure
// mail), expiry into quarantine and back to the pool, routing to the renter at receipt; and
// the `http` provisioner against a fake provisioning API that refuses, answers late or goes
// down: no double charge, every reservation settles.

#include <set>

#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include <vrnum/time.hpp>

#include "support/fake_provisioner.hpp"
#include "support/numbers_world.hpp"

namespace vrnumd::numbers {
namespace {

using namespace vrnum::test;

const std::string pool_yaml = R"(numbers:
  pool: [ { number: "+37255500001", country: EE }, { number: "+37255500002", country: EE } ]
  catalog: [ { country: EE, days: 30, price_minor: 500 } ]
  quarantine_days: 30
  expiry_warning_days: [3, 1]
  auto_renew_hours_before: 24
)";

std::string order(bool auto_renew) {
    return boost::json::serialize(
        boost::json::object{{"country", "EE"}, {"days", 30}, {"auto_renew", auto_renew}});
}

std::int64_t inbox_of(numbers_world& w, std::int64_t account) {
    return w.count("SELECT count(*) FROM inbox WHERE account_id = ?1", account);
}

TEST(number_jobs, warnings_auto_renewal_expiry_and_quarantine_follow_the_clock) {
    numbers_world w(pool_yaml);
    auto [alice, alice_key] = w.customer("alice@example.com", 500);
    auto [bob, bob_key] = w.customer("bob@example.com", 1000);
    auto a =
        w.call("POST", "/api/v1/numbers", alice_key, order(false), 0, {{"Idempotency-Key", "a1"}});
    ASSERT_EQ(a.status, 201U) << a.body;
    auto b =
        w.call("POST", "/api/v1/numbers", bob_key, order(true), 0, {{"Idempotency-Key", "b1"}});
    ASSERT_EQ(b.status, 201U) << b.body;
    std::string alice_number(a.json().at("number").as_string());
    std::string bob_number(b.json().at("number").as_string());
    std::int64_t alice_rental = a.json().at("id").as_int64();
    std::int64_t bob_rental = b.json().at("id").as_int64();
    EXPECT_EQ(w.mails("order_confirmation", alice), 1);

    w.now = world_start + day;
    w.sms(alice_number, "Your code is 481-516");
    EXPECT_EQ(inbox_of(w, alice), 1);
    EXPECT_EQ(inbox_of(w, bob), 0);

    // Three days before: one warning each, however often the job runs.
    w.now = world_start + 27 * day + minute;
    w.run_jobs();
    w.run_jobs();
    EXPECT_EQ(w.mails("expiry_warning", alice), 1);
    EXPECT_EQ(w.mails("expiry_warning", bob), 1);

    // 23 hours before: Bob's number renews itself; Alice gets the one-day warning.
    w.now = world_start + 29 * day + hour;
    w.run_jobs();
    w.run_jobs();
    EXPECT_EQ(w.mails("renewal_receipt", bob), 1);
    EXPECT_EQ(w.balance(bob), 0);
    EXPECT_EQ(w.mails("expiry_warning", alice), 2);
    auto bob_now = w.call("GET", "/api/v1/numbers/{id}", bob_key, "", bob_rental).json();
    EXPECT_EQ(bob_now.at("expires_at").as_string(), vrnum::format_rfc3339(world_start + 60 * day));

    // Expired: Alice's number goes into quarantine; an SMS to it reaches nobody.
    w.now = world_start + 30 * day + minute;
    w.run_jobs();
    EXPECT_EQ(w.call("GET", "/api/v1/numbers/{id}", alice_key, "", alice_rental).json().at("state"),
              "ended");
    w.sms(alice_number, "too late 9999");
    EXPECT_EQ(inbox_of(w, alice), 1);
    auto catalog = w.call("GET", "/api/v1/catalog", alice_key).json();
    EXPECT_EQ(catalog.at("items").as_array()[0].at("available"), 0);

    // Bob's wallet cannot pay the second renewal: one mail about it, however often it tries.
    w.now = world_start + 59 * day + hour;
    w.run_jobs();
    w.run_jobs();
    EXPECT_EQ(w.mails("auto_renew_failed", bob), 1);
    EXPECT_EQ(w.mails("renewal_receipt", bob), 1);
    EXPECT_EQ(w.mails("expiry_warning", bob), 2);

    // Alice's quarantine is over: her old number is free again, and its next renter sees
    // none of her messages.
    w.now = world_start + 60 * day + 2 * minute;
    w.run_jobs();
    EXPECT_EQ(w.call("GET", "/api/v1/numbers/{id}", bob_key, "", bob_rental).json().at("state"),
              "ended");
    catalog = w.call("GET", "/api/v1/catalog", alice_key).json();
    EXPECT_EQ(catalog.at("items").as_array()[0].at("available"), 1);
    auto [carol, carol_key] = w.customer("carol@example.com", 500);
    auto c =
        w.call("POST", "/api/v1/numbers", carol_key, order(false), 0, {{"Idempotency-Key", "c1"}});
    ASSERT_EQ(c.status, 201U) << c.body;
    EXPECT_EQ(c.json().at("number").as_string(), alice_number);
    w.sms(alice_number, "hello carol 123456");
    auto carols = w.call("GET", "/api/v1/messages", carol_key).json().at("items").as_array();
    ASSERT_EQ(carols.size(), 1U);
    EXPECT_EQ(carols[0].at("text"), "hello carol 123456");
    EXPECT_EQ(carols[0].at("code"), "123456");
    auto alices = w.call("GET", "/api/v1/messages", alice_key).json().at("items").as_array();
    ASSERT_EQ(alices.size(), 1U);
    EXPECT_EQ(alices[0].at("code"), "481516");
    EXPECT_TRUE(w.audit().sound());
}

const std::string token = "provisioning-token";

std::string http_yaml(const fake_provisioner& p, const cert_files& cert) {
    return "http_client: { ca_file: \"" + cert.cert.string() + "\", timeout_seconds: 1 }\n" +
           "numbers:\n  provisioner: http\n  http: { base_url: \"" + p.base_url() +
           "\", token: \"" + token + "\" }\n" +
           "  catalog: [ { country: EE, days: 30, price_minor: 500 } ]\n  quarantine_days: 30\n";
}

TEST(http_provisioner, refusals_timeouts_and_late_answers_never_charge_twice) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_provisioner p(dir, cert, token);
    numbers_world w(http_yaml(p, cert));
    auto [dave, key] = w.customer("dave@example.com", 2000);
    auto rent = [&](const std::string& k) {
        return w.call("POST", "/api/v1/numbers", key, order(false), 0, {{"Idempotency-Key", k}});
    };

    auto ok = rent("k-ok");
    ASSERT_EQ(ok.status, 201U) << ok.body;
    EXPECT_EQ(w.balance(dave), 1500);
    std::string first_number(ok.json().at("number").as_string());

    p.mode("refuse");
    auto refused = rent("k-refused");
    EXPECT_EQ(refused.status, 409U) << refused.body;
    EXPECT_EQ(w.balance(dave), 1500);           // debited, then refunded
    EXPECT_EQ(rent("k-refused").status, 409U);  // the key replays the answer

    // The API does the work but answers after vrnumd gave up: the order is held (503), then
    // the job asks again with the same key and gets the same number; one charge.
    p.mode("slow", 3);
    auto late = rent("k-late");
    EXPECT_EQ(late.status, 503U) << late.body;
    EXPECT_EQ(w.balance(dave), 1000);
    EXPECT_EQ(rent("k-late").status, 503U);  // still in progress: nothing new
    p.mode("ok");
    w.now = w.now.load() + 5 * minute;
    w.run_jobs();
    auto settled = rent("k-late");
    ASSERT_EQ(settled.status, 201U) << settled.body;
    EXPECT_NE(settled.json().at("number").as_string(), first_number);
    EXPECT_EQ(w.balance(dave), 1000);

    // A renewal while the API is down: held, then renewed once by the job.
    std::int64_t rental = ok.json().at("id").as_int64();
    p.mode("down");
    EXPECT_EQ(w.call("POST", "/api/v1/numbers/{id}/renew", key, R"({"days":30})", rental).status,
              202U);  // held: it completes, or is refunded, by itself
    EXPECT_EQ(w.balance(dave), 500);
    p.mode("ok");
    w.now = w.now.load() + 5 * minute;
    w.run_jobs();
    w.run_jobs();
    EXPECT_EQ(w.balance(dave), 500);
    EXPECT_EQ(w.mails("renewal_receipt", dave), 1);

    // Everything settled; what the API saw: the token, a key per call, no customer data.
    EXPECT_EQ(w.count("SELECT count(*) FROM provision_ops WHERE state = 'pending' AND ?1", 1), 0);
    std::set<std::string> allocations;
    for (const auto& r : p.requests()) {
        EXPECT_EQ(r.at("auth_ok"), true);
        EXPECT_FALSE(r.at("key").as_string().empty());
        std::string body = boost::json::serialize(r.at("body"));
        EXPECT_EQ(body.find("dave"), std::string::npos);
        EXPECT_EQ(body.find("@"), std::string::npos);
        if (r.at("path") == "/allocate" && r.at("status") == 200 && !r.contains("replayed")) {
            allocations.insert(std::string(r.at("key").as_string()));
        }
    }
    EXPECT_EQ(allocations.size(), 2U);  // the first and the late one: never a third
    EXPECT_TRUE(w.audit().sound());

    // After expiry and quarantine the number goes back to the API.
    w.now = w.now.load() + 100 * day;
    w.run_jobs();
    w.run_jobs();
    std::size_t releases = 0;
    for (const auto& r : p.requests()) {
        releases += r.at("path") == "/release" ? 1 : 0;
    }
    EXPECT_EQ(releases, 2U);
    EXPECT_EQ(w.count("SELECT count(*) FROM numbers WHERE state = 'released' AND ?1", 1), 2);
}

TEST(http_provisioner, a_renewal_held_by_an_outage_is_charged_once_and_refunded_if_it_fails) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_provisioner p(dir, cert, token);
    numbers_world w(http_yaml(p, cert));
    auto [erin, key] = w.customer("erin@example.com", 2000);
    auto r = w.call("POST", "/api/v1/numbers", key, order(true), 0, {{"Idempotency-Key", "e1"}});
    ASSERT_EQ(r.status, 201U) << r.body;
    std::int64_t rental = r.json().at("id").as_int64();
    EXPECT_EQ(w.balance(erin), 1500);

    // Auto-renewal while the API is down: charged once, however often the job comes back.
    p.mode("down");
    w.now = w.now.load() + 29 * day + 2 * hour;
    for (int i = 0; i < 4; ++i) {
        w.run_jobs();
        w.now = w.now.load() + 10 * minute;
    }
    EXPECT_EQ(w.balance(erin), 1000);
    // A manual renewal meanwhile is refused: one at a time.
    EXPECT_EQ(w.call("POST", "/api/v1/numbers/{id}/renew", key, R"({"days":30})", rental).status,
              409U);
    p.mode("ok");
    w.now = w.now.load() + hour;
    w.run_jobs();
    EXPECT_EQ(w.balance(erin), 1000);
    EXPECT_EQ(w.mails("renewal_receipt", erin), 1);
    auto renewed = w.call("GET", "/api/v1/numbers/{id}", key, "", rental).json();
    EXPECT_EQ(renewed.at("state"), "active");

    // A renewal still held at the expiry keeps the rental until it settles; refused, it is
    // refunded and the rental ends.
    p.mode("down");
    auto held = w.call("POST", "/api/v1/numbers/{id}/renew", key, R"({"days":30})", rental);
    EXPECT_EQ(held.status, 202U) << held.body;
    EXPECT_EQ(w.balance(erin), 500);
    w.now = w.now.load() + 40 * day;
    w.run_jobs();
    EXPECT_EQ(w.call("GET", "/api/v1/numbers/{id}", key, "", rental).json().at("state"), "active");
    p.mode("refuse");
    w.now = w.now.load() + hour;
    w.run_jobs();
    w.run_jobs();
    EXPECT_EQ(w.balance(erin), 1000);
    EXPECT_EQ(w.call("GET", "/api/v1/numbers/{id}", key, "", rental).json().at("state"), "ended");
    EXPECT_EQ(w.count("SELECT count(*) FROM provision_ops WHERE state = 'pending' AND ?1", 1), 0);
    EXPECT_TRUE(w.audit().sound());
}

}  // namespace
}  // namespace vrnumd::numbers
