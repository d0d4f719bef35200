// The accounts service's pure parts: secrets, the rate limiter, attribution trimming, the
// siteverify answer, and the JSON API's field reader and cookie parsing.

#include <set>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "accounts/attribution_input.hpp"
#include "accounts/limiter.hpp"
#include "accounts/secrets.hpp"
#include "accounts/turnstile_answer.hpp"
#include "api/json_io.hpp"

namespace vrnumd::accounts {
namespace {

using namespace std::chrono_literals;

TEST(secrets, are_256_bits_of_base64url_and_never_repeat) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string s = random_secret();
        ASSERT_EQ(s.size(), 43U);
        ASSERT_EQ(s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                      "0123456789-_"),
                  std::string::npos);
        ASSERT_TRUE(seen.insert(s).second);
    }
    EXPECT_EQ(secret_hash("abc").size(), 32U);
    EXPECT_NE(secret_hash("abc"), secret_hash("abd"));
    EXPECT_TRUE(equal_secrets("same", "same"));
    EXPECT_FALSE(equal_secrets("same", "sane"));
    EXPECT_FALSE(equal_secrets("same", "same "));
    EXPECT_FALSE(equal_secrets("", "x"));
}

TEST(rate_limiter, refuses_past_the_limit_within_the_window_and_says_how_long) {
    memory_rate_limiter l;
    auto t0 = rate_limiter::clock::time_point{} + 1000s;
    for (int i = 0; i < 3; ++i) {
        EXPECT_FALSE(l.hit("k", 3, 60s, t0 + std::chrono::seconds(i)));
    }
    auto wait = l.hit("k", 3, 60s, t0 + 10s);
    ASSERT_TRUE(wait);
    EXPECT_EQ(*wait, 50s);  // the first event leaves the window at t0 + 60 s
    EXPECT_TRUE(l.check("k", 3, 60s, t0 + 59s));
    EXPECT_FALSE(l.hit("k", 3, 60s, t0 + 60s));  // one slot freed
    EXPECT_FALSE(l.check("other", 3, 60s, t0));
    l.reset("k");
    EXPECT_FALSE(l.check("k", 3, 60s, t0 + 61s));
    // A refused attempt is not counted.
    memory_rate_limiter m;
    EXPECT_FALSE(m.hit("x", 1, 10s, t0));
    for (int i = 0; i < 5; ++i) {
        EXPECT_TRUE(m.hit("x", 1, 10s, t0 + 1s));
    }
    EXPECT_FALSE(m.hit("x", 1, 10s, t0 + 10s));
}

TEST(rate_limiter, sweeps_idle_keys) {
    memory_rate_limiter l;
    auto t0 = rate_limiter::clock::time_point{} + 1000s;
    for (int i = 0; i < 5000; ++i) {
        l.hit("early" + std::to_string(i), 5, 1s, t0);
    }
    // Once the table has doubled, the keys whose events left their window are gone.
    for (int i = 0; i < 5000; ++i) {
        l.hit("late" + std::to_string(i), 5, 1s, t0 + 10s);
    }
    EXPECT_EQ(l.size(), 5000U);
}

TEST(attribution_input, keeps_utm_values_capped_and_only_a_foreign_referrer_host) {
    auto in =
        boost::json::parse(
            R"({"utm_source":"news\u0001letter","utm_term":42,
        "utm_content":")" +
            std::string(99, 'x') +
            R"(\u00e9\u00e9","referrer":"https://User:pw@WWW.Example.ORG:8443/p?q=secret#frag",
        "email":"leak@example.com"})")
            .as_object();
    auto a = attribution_from(in, "sms.example.com");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->utm_source, "newsletter");
    EXPECT_EQ(a->utm_term, "");                       // not a string: dropped
    EXPECT_EQ(a->utm_content, std::string(99, 'x'));  // cut before a character, not inside it
    EXPECT_EQ(a->referrer_host, "www.example.org");

    auto own = boost::json::parse(R"({"referrer":"https://SMS.example.com/pricing"})").as_object();
    EXPECT_FALSE(attribution_from(own, "sms.example.com"));
    for (const char* bad :
         {R"j({"referrer":"javascript:alert(1)"})j", R"({"referrer":"not a url"})",
          R"({"referrer":""})", R"({})", R"({"utm_source":null})"}) {
        EXPECT_FALSE(attribution_from(boost::json::parse(bad).as_object(), "sms.example.com"))
            << bad;
    }
}

TEST(siteverify, only_an_explicit_success_passes) {
    EXPECT_EQ(parse_siteverify(200, R"({"success":true,"error-codes":[]})"),
              turnstile_outcome::passed);
    EXPECT_EQ(parse_siteverify(200, R"({"success":false,"error-codes":["timeout-or-duplicate"]})"),
              turnstile_outcome::failed);
    EXPECT_EQ(parse_siteverify(200, R"({"success":"true"})"), turnstile_outcome::unavailable);
    EXPECT_EQ(parse_siteverify(200, R"({"success":1})"), turnstile_outcome::unavailable);
    EXPECT_EQ(parse_siteverify(200, "<html>"), turnstile_outcome::unavailable);
    EXPECT_EQ(parse_siteverify(200, ""), turnstile_outcome::unavailable);
    EXPECT_EQ(parse_siteverify(500, R"({"success":true})"), turnstile_outcome::unavailable);
}

vrnum::http::request json_request(std::string body, std::string type = "application/json") {
    vrnum::http::request r;
    r.method = "POST";
    r.target = "/api/v1/x?before=12&number_id=a%20b";
    r.headers = {{"Content-Type", std::move(type)}, {"Cookie", "a=1; vrnum_session=abc=; other=2"}};
    r.body = std::move(body);
    return r;
}

TEST(json_io, reads_fields_and_collects_every_problem) {
    auto req = json_request(R"({"s":"text","n":5,"b":true,"o":{},"big":"xxxxxxxxxx","x":1.5})");
    auto body = api::parse_object(req);
    ASSERT_TRUE(body);
    api::fields f(*body);
    EXPECT_EQ(f.text("s", true), "text");
    EXPECT_EQ(f.integer("n", true), 5);
    EXPECT_EQ(f.boolean("b", true), true);
    EXPECT_NE(f.object("o"), nullptr);
    EXPECT_TRUE(f.ok());
    EXPECT_FALSE(f.text("missing", false));
    EXPECT_TRUE(f.ok());
    EXPECT_FALSE(f.text("missing", true));
    EXPECT_FALSE(f.text("big", true, 5));
    EXPECT_FALSE(f.integer("x", true));
    EXPECT_FALSE(f.boolean("s", true));
    EXPECT_FALSE(f.ok());
    EXPECT_EQ(f.detail(),
              "missing: is required; big: is longer than 5 bytes; x: must be an integer; "
              "s: must be true or false");
}

TEST(json_io, refuses_other_media_types_and_anything_but_an_object) {
    EXPECT_EQ(api::parse_object(json_request("{}", "text/plain")).error(),
              vrnum::errc::unsupported_media_type);
    EXPECT_TRUE(api::parse_object(json_request("{}", "Application/JSON; charset=utf-8")));
    for (const char* bad : {"[]", "1", "\"s\"", "{", "{\"a\":1}x", "{\"a\":\"\xff\"}"}) {
        EXPECT_EQ(api::parse_object(json_request(bad)).error(), vrnum::errc::malformed) << bad;
    }
    EXPECT_TRUE(api::parse_object(json_request("")));  // no body: no fields
}

TEST(json_io, finds_cookies_query_parameters_and_path_ids) {
    auto req = json_request("");
    EXPECT_EQ(api::cookie(req, "vrnum_session"), "abc=");
    EXPECT_EQ(api::cookie(req, "other"), "2");
    EXPECT_EQ(api::cookie(req, "vrnum"), "");
    EXPECT_EQ(api::query_param(req, "number_id"), "a b");
    EXPECT_EQ(api::query_param(req, "before"), "12");
    EXPECT_FALSE(api::query_param(req, "limit"));
    for (const auto& [text, want] :
         std::vector<std::pair<std::string, std::optional<std::int64_t>>>{
             {"17", 17},
             {"0", std::nullopt},
             {"-3", std::nullopt},
             {"1e3", std::nullopt},
             {"", std::nullopt},
             {"99999999999999999999", std::nullopt}}) {
        req.params["id"] = text;
        EXPECT_EQ(api::path_id(req, "id"), want) << text;
    }
}

}  // namespace
}  // namespace vrnumd::accounts
