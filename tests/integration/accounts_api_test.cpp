// The accounts API end to end over loopback HTTP against a running vrnumd: sign-up, email
// confirmation, login and sessions, CSRF, rate limits, the bot check, password reset,
// rectification, attribution and objection, API keys, deletion and its cancellation.

#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include <vrnum/time.hpp>

#include "support/account_helpers.hpp"

namespace vrnum::test {
namespace {

using boost::json::object;

TEST(accounts_api, sign_up_confirm_log_in_and_out) {
    account_daemon d;
    api_client c(d.address());
    auto r = c.call(
        "POST", "/auth/register",
        json_text(
            {{"email", "Ann@Example.COM"}, {"password", good_password}, {"age_confirmed", true}}));
    ASSERT_EQ(r.status, 202) << r.body;
    EXPECT_EQ(r.body, R"({"status":"check_your_email"})");
    EXPECT_TRUE(c.cookie().empty());

    // Not confirmed yet: login works, the account says so.
    ASSERT_TRUE(c.login("ann@example.com"));
    EXPECT_EQ(body_of(c.call("GET", "/me")).at("email_confirmed"), false);

    std::string token = mailed_token(d.mail_dir(), "ann@example.com", "/confirm-email");
    ASSERT_FALSE(token.empty());
    r = c.call("POST", "/auth/confirm-email", json_text({{"token", token}}));
    ASSERT_EQ(r.status, 200) << r.body;
    // Single use.
    r = c.call("POST", "/auth/confirm-email", json_text({{"token", token}}));
    EXPECT_EQ(r.status, 422);

    api_client fresh(d.address());
    r = fresh.call("POST", "/auth/login",
                   json_text({{"email", "ANN@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200) << r.body;
    std::string cookie = r.header("Set-Cookie");
    EXPECT_EQ(cookie.rfind("vrnum_session=", 0), 0U) << cookie;
    EXPECT_NE(cookie.find("; HttpOnly"), std::string::npos);
    EXPECT_NE(cookie.find("; SameSite=Lax"), std::string::npos);
    EXPECT_NE(cookie.find("; Path=/"), std::string::npos);
    EXPECT_EQ(cookie.find("Secure"), std::string::npos);  // plain http on loopback
    // 256 bits, base64url.
    std::string id = fresh.cookie().substr(fresh.cookie().find('=') + 1);
    EXPECT_EQ(id.size(), 43U);
    EXPECT_EQ(r.header("Cache-Control"), "no-store");
    fresh.set_csrf(std::string(body_of(r).at("csrf_token").as_string()));

    auto me = body_of(fresh.call("GET", "/me"));
    EXPECT_EQ(me.at("email"), "ann@example.com");
    EXPECT_EQ(me.at("email_confirmed"), true);
    EXPECT_EQ(me.at("marketing_opt_in"), false);
    EXPECT_TRUE(me.at("attribution").is_null());
    EXPECT_TRUE(me.at("deletion_scheduled_at").is_null());
    EXPECT_EQ(me.at("csrf_token").as_string(), fresh.csrf());

    // A new session id at every login.
    ASSERT_TRUE(c.login("ann@example.com"));
    EXPECT_NE(c.cookie(), fresh.cookie());

    r = fresh.call("POST", "/auth/logout");
    EXPECT_EQ(r.status, 204);
    EXPECT_TRUE(fresh.cookie().empty());
    fresh.set_cookie("vrnum_session=" + id);  // the old cookie is dead
    r = fresh.call("GET", "/me");
    EXPECT_EQ(r.status, 401);
    EXPECT_EQ(body_of(r).at("error"), "unauthorized");
    EXPECT_EQ(c.call("GET", "/me").status, 200);  // the other session lives on
}

TEST(accounts_api, under_an_https_base_url_the_cookie_is_host_prefixed_and_secure) {
    // As behind a TLS-terminating proxy: vrnumd itself speaks plain HTTP on loopback.
    account_daemon d("", "per_ip_per_minute: 100000", "https://sms.example.com");
    sign_up(d, "tls@example.com");
    api_client c(d.address(), "https://sms.example.com");
    auto r = c.call("POST", "/auth/login",
                    json_text({{"email", "tls@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200) << r.body;
    std::string cookie = r.header("Set-Cookie");
    EXPECT_EQ(cookie.rfind("__Host-vrnum_session=", 0), 0U) << cookie;
    EXPECT_NE(cookie.find("; Secure"), std::string::npos) << cookie;
    EXPECT_NE(cookie.find("; Path=/"), std::string::npos) << cookie;
    EXPECT_EQ(cookie.find("Domain"), std::string::npos) << cookie;
    c.set_csrf(std::string(body_of(r).at("csrf_token").as_string()));
    EXPECT_EQ(c.call("GET", "/me").status, 200);
    EXPECT_EQ(c.call("PATCH", "/me", json_text({{"marketing_opt_in", true}})).status, 200);
    // The plain-http origin of the same host is another origin.
    api_client plain(d.address(), "http://sms.example.com");
    plain.set_cookie(c.cookie());
    plain.set_csrf(c.csrf());
    EXPECT_EQ(plain.call("PATCH", "/me", json_text({{"marketing_opt_in", false}})).status, 403);
}

TEST(accounts_api, register_refuses_bad_input_with_clear_errors) {
    account_daemon d;
    api_client c(d.address());
    auto reg = [&](object body) { return c.call("POST", "/auth/register", json_text(body)); };
    auto r = reg({{"email", "b@example.com"}, {"password", good_password}});
    EXPECT_EQ(r.status, 422);
    EXPECT_NE(r.body.find("age_confirmed: is required"), std::string::npos) << r.body;
    r = reg({{"email", "b@example.com"}, {"password", good_password}, {"age_confirmed", false}});
    EXPECT_EQ(r.status, 422);
    EXPECT_NE(r.body.find("18 or older"), std::string::npos) << r.body;
    r = reg({{"email", "b@example.com"}, {"password", "password123"}, {"age_confirmed", true}});
    EXPECT_EQ(r.status, 422);
    EXPECT_NE(r.body.find("password: "), std::string::npos) << r.body;
    r = reg({{"email", "b@example.com"}, {"password", "short"}, {"age_confirmed", true}});
    EXPECT_EQ(r.status, 422);
    r = reg({{"email", "not an address"}, {"password", good_password}, {"age_confirmed", true}});
    EXPECT_EQ(r.status, 422);
    EXPECT_NE(r.body.find("email: is not a valid address"), std::string::npos) << r.body;
    r = reg({{"email", "b@example.com\r\nBcc: x@example.com"},
             {"password", good_password},
             {"age_confirmed", true}});
    EXPECT_EQ(r.status, 422);
    r = c.call("POST", "/auth/register", "{\"email\":", {});
    EXPECT_EQ(r.status, 400);
    r = c.call("POST", "/auth/register", "[1,2]");
    EXPECT_EQ(r.status, 400);
    auto form = request(d.address(), "POST", "/api/v1/auth/register", "email=b%40example.com",
                        {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_TRUE(form);
    EXPECT_EQ(form->status, 415);
    // Nothing was created: no mail went out.
    EXPECT_TRUE(mails_to(d.mail_dir(), "b@example.com").empty());
}

TEST(accounts_api, known_and_unknown_addresses_get_the_same_answers) {
    account_daemon d;
    sign_up(d, "known@example.com");
    api_client c(d.address());
    auto reg = [&](const std::string& email) {
        return c.call("POST", "/auth/register",
                      json_text({{"email", email},
                                 {"password", "another fine passphrase"},
                                 {"age_confirmed", true}}));
    };
    auto known = reg("known@example.com");
    auto unknown = reg("unknown@example.com");
    EXPECT_EQ(known.status, unknown.status);
    EXPECT_EQ(known.body, unknown.body);
    // The owner hears of the attempt, and gets no second confirmation; the password stays.
    ASSERT_TRUE(mailed(d.mail_dir(), "known@example.com", "Someone tried to sign up"));
    std::size_t confirmations = 0;
    for (const auto& m : mails_to(d.mail_dir(), "known@example.com")) {
        confirmations += m.find("/confirm-email#token=") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(confirmations, 1U);
    EXPECT_TRUE(api_client(d.address()).login("known@example.com"));

    double dummy_before = d.metric("vrnum_auth_dummy_password_checks_total");
    auto login = [&](const std::string& email) {
        return c.call("POST", "/auth/login",
                      json_text({{"email", email}, {"password", "wrong password here"}}));
    };
    auto bad_known = login("known@example.com");
    auto bad_unknown = login("nobody@example.com");
    EXPECT_EQ(bad_known.status, 401);
    EXPECT_EQ(bad_known.status, bad_unknown.status);
    EXPECT_EQ(bad_known.body, bad_unknown.body);
    EXPECT_EQ(d.metric("vrnum_auth_dummy_password_checks_total"), dummy_before + 1);

    auto reset = [&](const std::string& email) {
        return c.call("POST", "/auth/password-reset/request", json_text({{"email", email}}));
    };
    auto r1 = reset("known@example.com");
    auto r2 = reset("nobody@example.com");
    EXPECT_EQ(r1.status, 202);
    EXPECT_EQ(r1.status, r2.status);
    EXPECT_EQ(r1.body, r2.body);
    EXPECT_FALSE(mailed_token(d.mail_dir(), "known@example.com", "/reset-password").empty());
    // Nothing is left in the outbox either, so nothing is on its way to the unknown address.
    ASSERT_TRUE(wait_for([&] {
        return d.cli({"mail", "status"}).out.find("queued 0,") != std::string::npos;
    }));
    EXPECT_TRUE(mails_to(d.mail_dir(), "nobody@example.com").empty());
}

TEST(accounts_api, the_eleventh_failed_login_for_an_account_is_throttled) {
    account_daemon d;
    sign_up(d, "target@example.com");
    sign_up(d, "bystander@example.com");
    api_client c(d.address());
    for (int i = 0; i < 10; ++i) {
        auto r = c.call("POST", "/auth/login",
                        json_text({{"email", "target@example.com"},
                                   {"password", "guess " + std::to_string(i) + " wrong"}}));
        ASSERT_EQ(r.status, 401) << i;
    }
    auto r = c.call("POST", "/auth/login",
                    json_text({{"email", "target@example.com"}, {"password", "guess 11 wrong"}}));
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(body_of(r).at("error"), "rate_limited");
    int retry = std::stoi(r.header("Retry-After"));
    EXPECT_GT(retry, 0);
    EXPECT_LE(retry, 15 * 60);
    EXPECT_EQ(d.metric("vrnum_auth_logins_total{outcome=\"failure\"}"), 10);
    EXPECT_EQ(d.metric("vrnum_auth_logins_total{outcome=\"throttled\"}"), 1);
    // Even the right password waits now; another account does not.
    EXPECT_FALSE(api_client(d.address()).login("target@example.com"));
    EXPECT_TRUE(api_client(d.address()).login("bystander@example.com"));
    // An unknown address is throttled the same way.
    for (int i = 0; i < 10; ++i) {
        c.call("POST", "/auth/login",
               json_text({{"email", "ghost@example.com"}, {"password", "guess wrong again"}}));
    }
    r = c.call("POST", "/auth/login",
               json_text({{"email", "ghost@example.com"}, {"password", "guess wrong again"}}));
    EXPECT_EQ(r.status, 429);
}

TEST(accounts_api, guesses_sent_at_once_do_not_pass_the_limit_together) {
    account_daemon d;
    sign_up(d, "parallel@example.com");
    std::atomic<int> refused{0}, throttled{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 30; ++i) {
        threads.emplace_back([&, i] {
            api_client c(d.address());
            auto r = c.call("POST", "/auth/login",
                            json_text({{"email", "parallel@example.com"},
                                       {"password", "parallel guess " + std::to_string(i)}}));
            if (r.status == 401) {
                ++refused;
            } else if (r.status == 429) {
                ++throttled;
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_LE(refused.load(), 10);
    EXPECT_EQ(refused.load() + throttled.load(), 30);
}

TEST(accounts_api, only_the_proven_owner_of_the_address_keeps_keys_and_sessions) {
    account_daemon d;
    // Someone signs up with another's address and cannot make a key while unconfirmed.
    api_client squatter(d.address());
    ASSERT_EQ(squatter
                  .call("POST", "/auth/register",
                        json_text({{"email", "owner@example.com"},
                                   {"password", good_password},
                                   {"age_confirmed", true}}))
                  .status,
              202);
    ASSERT_TRUE(squatter.login("owner@example.com"));
    auto r = squatter.call("POST", "/api-keys",
                           json_text({{"name", "mine"}, {"password", good_password}}));
    EXPECT_EQ(r.status, 403) << r.body;
    r = squatter.call("PATCH", "/me",
                      json_text({{"email", "squatter@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200);
    // The owner takes the account over by a reset: the squatter keeps nothing.
    api_client owner(d.address());
    ASSERT_EQ(owner
                  .call("POST", "/auth/password-reset/request",
                        json_text({{"email", "owner@example.com"}}))
                  .status,
              202);
    std::string token = mailed_token(d.mail_dir(), "owner@example.com", "/reset-password");
    r = owner.call("POST", "/auth/password-reset/confirm",
                   json_text({{"token", token}, {"password", "a fresh and private passphrase"}}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(squatter.call("GET", "/me").status, 401);
    std::string change = mailed_token(d.mail_dir(), "squatter@example.com", "/confirm-email");
    ASSERT_FALSE(change.empty());
    EXPECT_EQ(owner.call("POST", "/auth/confirm-email", json_text({{"token", change}})).status,
              422);  // the squatter's pending change went with the reset
    ASSERT_TRUE(owner.login("owner@example.com", "a fresh and private passphrase"));
    auto me = body_of(owner.call("GET", "/me"));
    EXPECT_EQ(me.at("email"), "owner@example.com");
    EXPECT_TRUE(me.at("pending_email").is_null());

    // A key made by the confirmed owner is revoked by a later reset too.
    r = owner.call("POST", "/api-keys",
                   json_text({{"name", "ci"}, {"password", "a fresh and private passphrase"}}));
    ASSERT_EQ(r.status, 201) << r.body;
    std::string key(body_of(r).at("key").as_string());
    ASSERT_EQ(owner
                  .call("POST", "/auth/password-reset/request",
                        json_text({{"email", "owner@example.com"}}))
                  .status,
              202);
    token = mailed_token(d.mail_dir(), "owner@example.com", "/reset-password", 2);
    ASSERT_EQ(owner
                  .call("POST", "/auth/password-reset/confirm",
                        json_text({{"token", token}, {"password", "yet another passphrase"}}))
                  .status,
              200);
    EXPECT_EQ(
        request(d.address(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer " + key}})->status,
        401);
}

TEST(accounts_api, auth_routes_are_limited_per_client_ip) {
    account_daemon d("", "per_ip_per_minute: 5, failed_logins_per_account: 100");
    api_client c(d.address());
    std::vector<unsigned> statuses;
    for (int i = 0; i < 7; ++i) {
        auto r = c.call("POST", "/auth/password-reset/request",
                        json_text({{"email", "p" + std::to_string(i) + "@example.com"}}));
        statuses.push_back(r.status);
        if (r.status == 429) {
            EXPECT_FALSE(r.header("Retry-After").empty());
        }
    }
    EXPECT_EQ(statuses, (std::vector<unsigned>{202, 202, 202, 202, 202, 429, 429}));
    // Other routes are not counted.
    EXPECT_EQ(c.call("GET", "/me").status, 401);
}

TEST(accounts_api, state_changes_with_the_cookie_need_the_csrf_token_and_origin) {
    account_daemon d;
    sign_up(d, "csrf@example.com");
    sign_up(d, "other@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("csrf@example.com"));
    api_client other(d.address());
    ASSERT_TRUE(other.login("other@example.com"));
    std::string body = json_text({{"marketing_opt_in", true}});
    auto raw = [&](std::vector<std::pair<std::string, std::string>> h) {
        h.emplace_back("Cookie", c.cookie());
        h.emplace_back("Content-Type", "application/json");
        return request(d.address(), "PATCH", "/api/v1/me", body, h)->status;
    };
    EXPECT_EQ(raw({{"Origin", d.origin()}}), 403);  // no token
    EXPECT_EQ(raw({{"Origin", d.origin()}, {"X-CSRF-Token", other.csrf()}}), 403);
    EXPECT_EQ(raw({{"Origin", "https://evil.example"}, {"X-CSRF-Token", c.csrf()}}), 403);
    EXPECT_EQ(raw({{"X-CSRF-Token", c.csrf()}}), 403);  // no Origin
    EXPECT_EQ(raw({{"Origin", "null"}, {"X-CSRF-Token", c.csrf()}}), 403);
    auto r = request(d.address(), "PATCH", "/api/v1/me", body,
                     {{"Cookie", c.cookie()},
                      {"Content-Type", "application/json"},
                      {"Origin", d.origin()},
                      {"X-CSRF-Token", "x"}});
    EXPECT_EQ(body_of(*r).at("error"), "csrf");
    // Nothing changed.
    EXPECT_EQ(body_of(c.call("GET", "/me")).at("marketing_opt_in"), false);
    EXPECT_EQ(raw({{"Origin", d.origin()}, {"X-CSRF-Token", c.csrf()}}), 200);
    EXPECT_EQ(body_of(c.call("GET", "/me")).at("marketing_opt_in"), true);
    // Logging in from another site's page is refused too.
    auto login =
        request(d.address(), "POST", "/api/v1/auth/login",
                json_text({{"email", "csrf@example.com"}, {"password", good_password}}),
                {{"Content-Type", "application/json"}, {"Origin", "https://evil.example"}});
    EXPECT_EQ(login->status, 403);
}

TEST(accounts_api, logout_all_and_password_change_end_other_sessions) {
    account_daemon d;
    sign_up(d, "multi@example.com");
    api_client a(d.address()), b(d.address()), c(d.address());
    ASSERT_TRUE(a.login("multi@example.com"));
    ASSERT_TRUE(b.login("multi@example.com"));
    ASSERT_TRUE(c.login("multi@example.com"));

    auto r = a.call("POST", "/me/password",
                    json_text({{"current_password", "not the password"},
                               {"new_password", "a whole new passphrase"}}));
    EXPECT_EQ(r.status, 403);
    r = a.call("POST", "/me/password",
               json_text({{"current_password", good_password}, {"new_password", "qwerty123"}}));
    EXPECT_EQ(r.status, 422);
    r = a.call("POST", "/me/password",
               json_text({{"current_password", good_password},
                          {"new_password", "a whole new passphrase"}}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(a.call("GET", "/me").status, 200);
    EXPECT_EQ(b.call("GET", "/me").status, 401);
    EXPECT_EQ(c.call("GET", "/me").status, 401);
    EXPECT_FALSE(api_client(d.address()).login("multi@example.com"));
    ASSERT_TRUE(b.login("multi@example.com", "a whole new passphrase"));

    r = b.call("POST", "/auth/logout-all");
    EXPECT_EQ(r.status, 204);
    EXPECT_EQ(a.call("GET", "/me").status, 401);
    EXPECT_EQ(b.call("GET", "/me").status, 401);
}

TEST(accounts_api, password_reset_by_a_single_use_token) {
    account_daemon d;
    sign_up(d, "forgetful@example.com");
    api_client old_session(d.address());
    ASSERT_TRUE(old_session.login("forgetful@example.com"));
    api_client c(d.address());
    ASSERT_EQ(c.call("POST", "/auth/password-reset/request",
                     json_text({{"email", "forgetful@example.com"}}))
                  .status,
              202);
    std::string token = mailed_token(d.mail_dir(), "forgetful@example.com", "/reset-password");
    ASSERT_FALSE(token.empty());
    auto confirm = [&](const std::string& t, const std::string& p) {
        return c.call("POST", "/auth/password-reset/confirm",
                      json_text({{"token", t}, {"password", p}}));
    };
    EXPECT_EQ(confirm("not-a-token", "a brand new passphrase").status, 422);
    // A weak password keeps the token for another try.
    EXPECT_EQ(confirm(token, "password1").status, 422);
    auto r = confirm(token, "a brand new passphrase");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(confirm(token, "yet another passphrase").status, 422);
    EXPECT_EQ(old_session.call("GET", "/me").status, 401);
    EXPECT_FALSE(api_client(d.address()).login("forgetful@example.com"));
    EXPECT_TRUE(api_client(d.address()).login("forgetful@example.com", "a brand new passphrase"));
}

TEST(accounts_api, email_change_is_confirmed_from_the_new_address) {
    account_daemon d;
    sign_up(d, "old@example.com");
    sign_up(d, "taken@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("old@example.com"));
    auto r = c.call("PATCH", "/me", json_text({{"email", "new@example.com"}}));
    EXPECT_EQ(r.status, 422);  // the password is required
    r = c.call("PATCH", "/me",
               json_text({{"email", "new@example.com"}, {"password", "wrong password!"}}));
    EXPECT_EQ(r.status, 403);
    r = c.call("PATCH", "/me",
               json_text({{"email", "new@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(body_of(r).at("email"), "old@example.com");  // until confirmed
    EXPECT_EQ(body_of(r).at("pending_email"), "new@example.com");
    std::string token = mailed_token(d.mail_dir(), "new@example.com", "/confirm-email");
    ASSERT_FALSE(token.empty());
    // The old address hears of it, with only a hint of the new one.
    ASSERT_TRUE(mailed(d.mail_dir(), "old@example.com", "n***@example.com"));
    r = c.call("POST", "/auth/confirm-email", json_text({{"token", token}}));
    ASSERT_EQ(r.status, 200) << r.body;
    auto me = body_of(c.call("GET", "/me"));
    EXPECT_EQ(me.at("email"), "new@example.com");
    EXPECT_TRUE(me.at("pending_email").is_null());
    EXPECT_TRUE(api_client(d.address()).login("new@example.com"));
    EXPECT_FALSE(api_client(d.address()).login("old@example.com"));

    // An address another account holds cannot be taken, and the answer does not say whose.
    r = c.call("PATCH", "/me",
               json_text({{"email", "taken@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200);
    token = mailed_token(d.mail_dir(), "taken@example.com", "/confirm-email", 2);
    r = c.call("POST", "/auth/confirm-email", json_text({{"token", token}}));
    EXPECT_EQ(r.status, 409);
    EXPECT_EQ(body_of(c.call("GET", "/me")).at("email"), "new@example.com");
}

TEST(accounts_api, attribution_is_kept_trimmed_and_erased_on_objection) {
    account_daemon d;
    std::string long_campaign(300, 'c');
    sign_up(
        d, "utm@example.com", good_password,
        {{"attribution", object{{"utm_source", "newsletter"},
                                {"utm_medium", "email"},
                                {"utm_campaign", long_campaign},
                                {"referrer", "https://Search.Example.org/q?email=utm@example.com"},
                                {"gclid", "dropped"}}}});
    sign_up(d, "self@example.com", good_password,
            {{"attribution", object{{"referrer", "http://" + d.address() + "/pricing"}}}});
    api_client c(d.address());
    ASSERT_TRUE(c.login("utm@example.com"));
    auto me = body_of(c.call("GET", "/me"));
    auto& a = me.at("attribution").as_object();
    EXPECT_EQ(a.at("utm_source"), "newsletter");
    EXPECT_EQ(a.at("utm_campaign").as_string().size(), 100U);
    EXPECT_EQ(a.at("referrer_host"), "search.example.org");
    EXPECT_TRUE(a.at("utm_term").is_null());
    EXPECT_FALSE(a.contains("gclid"));
    EXPECT_EQ(me.at("marketing_opt_in"), false);  // off by default

    auto r = c.call("PATCH", "/me", json_text({{"attribution_objection", true}}));
    ASSERT_EQ(r.status, 200);
    me = body_of(c.call("GET", "/me"));
    EXPECT_TRUE(me.at("attribution").is_null());
    EXPECT_EQ(me.at("attribution_objection"), true);

    api_client s(d.address());
    ASSERT_TRUE(s.login("self@example.com"));
    EXPECT_TRUE(body_of(s.call("GET", "/me")).at("attribution").is_null());
}

TEST(accounts_api, api_keys_are_shown_once_and_work_as_bearer_tokens) {
    account_daemon d;
    sign_up(d, "dev@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("dev@example.com"));
    auto r = c.call("POST", "/api-keys", json_text({{"name", "ci"}}));
    EXPECT_EQ(r.status, 422);
    r = c.call("POST", "/api-keys", json_text({{"name", "ci"}, {"password", "wrong one!!"}}));
    EXPECT_EQ(r.status, 403);
    r = c.call("POST", "/api-keys", json_text({{"name", "ci"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 201) << r.body;
    std::string key(body_of(r).at("key").as_string());
    std::int64_t id = body_of(r).at("id").as_int64();
    EXPECT_EQ(key.rfind("vrnum_", 0), 0U);

    auto list = c.call("GET", "/api-keys");
    ASSERT_EQ(list.status, 200);
    EXPECT_EQ(list.body.find(key), std::string::npos);
    EXPECT_EQ(body_of(list).at("items").as_array().size(), 1U);
    EXPECT_TRUE(body_of(list).at("next_cursor").is_null());

    auto bearer = [&](const std::string& method, const std::string& path,
                      const std::string& body = "") {
        std::vector<std::pair<std::string, std::string>> h{{"Authorization", "Bearer " + key}};
        if (!body.empty()) {
            h.emplace_back("Content-Type", "application/json");
        }
        return *request(d.address(), method, "/api/v1" + path, body, h);
    };
    EXPECT_EQ(bearer("GET", "/me").status, 200);
    // No CSRF token with a key.
    EXPECT_EQ(bearer("PATCH", "/me", json_text({{"marketing_opt_in", true}})).status, 200);
    EXPECT_EQ(c.call("DELETE", "/api-keys/" + std::to_string(id + 1000)).status, 404);
    EXPECT_EQ(c.call("DELETE", "/api-keys/x").status, 404);
    EXPECT_EQ(c.call("DELETE", "/api-keys/" + std::to_string(id)).status, 204);
    auto gone = bearer("GET", "/me");
    EXPECT_EQ(gone.status, 401);
    EXPECT_EQ(
        request(d.address(), "GET", "/api/v1/me", "", {{"Authorization", "Bearer nope"}})->status,
        401);
}

TEST(accounts_api, deletion_ends_every_session_and_can_be_cancelled) {
    account_daemon d;
    sign_up(d, "leaving@example.com");
    api_client c(d.address()), other(d.address());
    ASSERT_TRUE(c.login("leaving@example.com"));
    ASSERT_TRUE(other.login("leaving@example.com"));
    EXPECT_EQ(c.call("DELETE", "/me", json_text({{"password", "not mine at all"}})).status, 403);
    auto r = c.call("DELETE", "/me", json_text({{"password", good_password}}));
    ASSERT_EQ(r.status, 202) << r.body;
    auto at = parse_rfc3339(std::string(body_of(r).at("deletion_scheduled_at").as_string()));
    ASSERT_TRUE(at);
    auto days = (*at - now_unix_ms()) / 86'400'000.0;
    EXPECT_NEAR(days, 30, 0.01);
    EXPECT_EQ(c.call("GET", "/me").status, 401);
    EXPECT_EQ(other.call("GET", "/me").status, 401);
    ASSERT_TRUE(mailed(d.mail_dir(), "leaving@example.com", "scheduled for deletion"));

    // Logging in again during the window says so, and cancelling keeps the account.
    auto login = c.call("POST", "/auth/login",
                        json_text({{"email", "leaving@example.com"}, {"password", good_password}}));
    ASSERT_EQ(login.status, 200);
    EXPECT_FALSE(body_of(login).at("deletion_scheduled_at").is_null());
    c.set_csrf(std::string(body_of(login).at("csrf_token").as_string()));
    r = c.call("POST", "/me/cancel-deletion");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_TRUE(body_of(r).at("deletion_scheduled_at").is_null());
}

TEST(accounts_api, turnstile_is_checked_with_the_secret_token_and_client_ip) {
    temp_dir dir;
    fake_turnstile ts(dir, "ts-secret", "solved-token");
    account_daemon d(
        "  turnstile: { site_key: \"site\", secret: \"ts-secret\", siteverify_url: \"" +
        ts.siteverify_url() + "\" }\n");
    // The auth section above continues the one account_daemon writes.
    api_client c(d.address());
    auto reg = [&](std::optional<std::string> token) {
        object body{
            {"email", "bot@example.com"}, {"password", good_password}, {"age_confirmed", true}};
        if (token) {
            body["turnstile_token"] = *token;
        }
        return c.call("POST", "/auth/register", json_text(body));
    };
    EXPECT_EQ(reg(std::nullopt).status, 403);
    EXPECT_EQ(reg("forged").status, 403);
    EXPECT_TRUE(mails_to(d.mail_dir(), "bot@example.com").empty());
    auto r = reg("solved-token");
    EXPECT_EQ(r.status, 202) << r.body;
    auto reqs = ts.requests();
    ASSERT_EQ(reqs.size(), 2U);  // no token: no call
    for (const auto& q : reqs) {
        EXPECT_EQ(q.at("secret_ok"), true);
        EXPECT_EQ(q.at("remoteip"), "127.0.0.1");
        EXPECT_EQ(q.at("path"), "/turnstile/v0/siteverify");
    }
    EXPECT_EQ(reqs[1].at("response"), "solved-token");
    auto login = c.call("POST", "/auth/login",
                        json_text({{"email", "bot@example.com"}, {"password", good_password}}));
    EXPECT_EQ(login.status, 403);
    login = c.call("POST", "/auth/login",
                   json_text({{"email", "bot@example.com"},
                              {"password", good_password},
                              {"turnstile_token", "solved-token"}}));
    EXPECT_EQ(login.status, 200);
}

TEST(accounts_api, turnstile_unreachable_fails_closed) {
    temp_dir dir;
    fake_turnstile ts(dir, "ts-secret", "solved-token", true);
    account_daemon d(
        "  turnstile: { site_key: \"site\", secret: \"ts-secret\", siteverify_url: \"" +
        ts.siteverify_url() + "\" }\n");
    api_client c(d.address());
    auto r = c.call("POST", "/auth/register",
                    json_text({{"email", "down@example.com"},
                               {"password", good_password},
                               {"age_confirmed", true},
                               {"turnstile_token", "solved-token"}}));
    EXPECT_EQ(r.status, 503);
    EXPECT_FALSE(r.header("Retry-After").empty());
    EXPECT_EQ(ts.requests().size(), 1U);
    EXPECT_TRUE(mails_to(d.mail_dir(), "down@example.com").empty());
}

}  // namespace
}  // namespace vrnum::test
