#include "sources/plivo_source.hpp"

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include <vrnum/error.hpp>

#include "support/signing.hpp"

namespace {

using vrnum::errc;
using vrnum::request_view;
using vrnum::source_config;
using vrnum::verify_error;
using vrnum::detail::plivo_source;
namespace t = vrnum::test;
using clock_type = std::chrono::system_clock;

const clock_type::time_point now{std::chrono::seconds(1700000000)};
constexpr std::string_view base = "https://gw.example.com";
constexpr std::string_view body =
    "From=447700900001&To=37255500001&Type=sms&Text=Hello+%F0%9F%91%8B+a%3Db%26c&MessageUUID="
    "0936ec98-7c4c-11e4-9bd8-22000afa12b9";

source_config config(std::vector<std::string> tokens) {
    source_config cfg;
    cfg.id = "pl";
    cfg.kind = vrnum::source_kind::plivo;
    cfg.secrets = std::move(tokens);
    return cfg;
}

// Plivo's V3 string for this body at /webhooks/pl?b=2&a=1, written out by hand: the query
// sorted as k=v joined by &, a dot, then the form's fields sorted as kv.
const std::string v3_data =
    "https://gw.example.com/webhooks/pl?a=1&b=2.From447700900001MessageUUID0936ec98-7c4c-11e4-"
    "9bd8-22000afa12b9TextHello \xF0\x9F\x91\x8B a=b&cTo37255500001Typesms";

request_view v3_request(std::string_view target, std::string_view sig, std::string_view nonce,
                        std::string_view payload = body) {
    return {"POST",
            target,
            {{"Content-Type", "application/x-www-form-urlencoded"},
             {"X-Plivo-Signature-V3", sig},
             {"X-Plivo-Signature-V3-Nonce", nonce}},
            payload};
}

TEST(PlivoSource, SdkVectorV2) {
    // plivo-node's own test: URL https://answer.url, nonce 12345, token my_auth_token.
    plivo_source src(config({"my_auth_token"}));
    request_view req{"POST",
                     "",
                     {{"X-Plivo-Signature-V2", "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc="},
                      {"X-Plivo-Signature-V2-Nonce", "12345"}},
                     ""};
    EXPECT_FALSE(src.verify(req, "https://answer.url", now));
    request_view wrong_nonce{
        "POST",
        "",
        {{"X-Plivo-Signature-V2", "ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc="},
         {"X-Plivo-Signature-V2-Nonce", "12346"}},
        ""};
    EXPECT_EQ(src.verify(wrong_nonce, "https://answer.url", now), verify_error::mismatch);
}

TEST(PlivoSource, V3SignsSortedQueryAndForm) {
    EXPECT_EQ(plivo_source::v3_string(std::string(base) + "/webhooks/pl?b=2&a=1",
                                      *vrnum::detail::parse_form(body)),
              v3_data);
    plivo_source src(config({"tok"}));
    std::string sig = t::base64(t::hmac("SHA256", "tok", v3_data + ".n-1"));
    EXPECT_FALSE(src.verify(v3_request("/webhooks/pl?b=2&a=1", sig, "n-1"), base, now));
    // Several signatures in one header (Plivo rotating its own).
    std::string list = t::base64(t::hmac("SHA256", "old", v3_data + ".n-1")) + "," + sig;
    EXPECT_FALSE(src.verify(v3_request("/webhooks/pl?b=2&a=1", list, "n-1"), base, now));
}

TEST(PlivoSource, RefusesTamperingWrongTokensAndMissingHeaders) {
    plivo_source src(config({"tok"}));
    std::string sig = t::base64(t::hmac("SHA256", "tok", v3_data + ".n-1"));
    std::string tampered(body);
    tampered.replace(tampered.find("Hello"), 5, "Hallo");
    EXPECT_EQ(src.verify(v3_request("/webhooks/pl?b=2&a=1", sig, "n-1", tampered), base, now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(v3_request("/webhooks/pl?b=2&a=2", sig, "n-1"), base, now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(v3_request("/webhooks/pl?b=2&a=1", sig, "n-2"), base, now),
              verify_error::mismatch);
    plivo_source other(config({"another"}));
    EXPECT_EQ(other.verify(v3_request("/webhooks/pl?b=2&a=1", sig, "n-1"), base, now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(v3_request("/webhooks/pl?b=2&a=1", sig, ""), base, now),
              verify_error::missing);
    request_view bare{"POST", "/webhooks/pl", {}, body};
    EXPECT_EQ(src.verify(bare, base, now), verify_error::missing);
    // V3 present decides alone: a valid V2 beside a wrong V3 does not rescue it.
    std::string v2 = t::base64(t::hmac("SHA256", "tok", "https://gw.example.com/webhooks/pln-1"));
    request_view both{"POST",
                      "/webhooks/pl",
                      {{"X-Plivo-Signature-V3", "AAAA"},
                       {"X-Plivo-Signature-V3-Nonce", "n-1"},
                       {"X-Plivo-Signature-V2", v2},
                       {"X-Plivo-Signature-V2-Nonce", "n-1"}},
                      body};
    EXPECT_EQ(src.verify(both, base, now), verify_error::mismatch);
}

TEST(PlivoSource, AnyTokenOfTheListVerifies) {
    plivo_source src(config({"old", "tok"}));
    std::string sig = t::base64(t::hmac("SHA256", "tok", v3_data + ".n-1"));
    EXPECT_FALSE(src.verify(v3_request("/webhooks/pl?b=2&a=1", sig, "n-1"), base, now));
}

TEST(PlivoSource, AcceptedNonceIsRefusedWithinTheWindow) {
    plivo_source src(config({"tok"}));  // tolerance 300 s
    std::string sig = t::base64(t::hmac("SHA256", "tok", v3_data + ".n-1"));
    auto req = v3_request("/webhooks/pl?b=2&a=1", sig, "n-1");
    ASSERT_FALSE(src.verify(req, base, now));
    // Not yet answered (e.g. the store said 503): the provider's retry still verifies.
    EXPECT_FALSE(src.verify(req, base, now));
    src.accepted(req, now);
    EXPECT_EQ(src.verify(req, base, now + std::chrono::seconds(10)), verify_error::replayed);
    EXPECT_EQ(src.verify(req, base, now + std::chrono::seconds(299)), verify_error::replayed);
    EXPECT_FALSE(src.verify(req, base, now + std::chrono::seconds(301)));
}

TEST(PlivoSource, ParsesTheInboundForm) {
    plivo_source src(config({"tok"}));
    auto parsed = src.parse(v3_request("/webhooks/pl", "", ""), now);
    ASSERT_TRUE(parsed);
    const auto& m = parsed->messages.at(0);
    EXPECT_EQ(m.provider_id, "0936ec98-7c4c-11e4-9bd8-22000afa12b9");
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "Hello \xF0\x9F\x91\x8B a=b&c");
    for (std::string_view bad :
         {"", "From=1&To=2&Text=x", "MessageUUID=u&From=1&To=&Text=x", "MessageUUID=u&From=1&To=2",
          "MessageUUID=u&From=1&To=2&Text=%ED%A0%80"}) {
        SCOPED_TRACE(bad);
        auto r = src.parse(v3_request("/webhooks/pl", "", "", bad), now);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), errc::malformed);
    }
}

TEST(PlivoSource, DemoRequestVerifiesOnce) {
    plivo_source src(config({"tok"}));
    vrnum::message m{"", "u-1", "+447700900001", "+37255500001", "x = y & z 👋", {}, 0};
    auto out = src.demo_request(m, "http://127.0.0.1:8080", now);
    ASSERT_TRUE(out);
    std::vector<vrnum::header_field> headers(out->headers.begin(), out->headers.end());
    request_view req{"POST", out->target, headers, out->body};
    ASSERT_FALSE(src.verify(req, "http://127.0.0.1:8080", now));
    auto parsed = src.parse(req, now);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->messages.at(0).text, m.text);
    src.accepted(req, now);
    EXPECT_EQ(src.verify(req, "http://127.0.0.1:8080", now), verify_error::replayed);
}

}  // namespace
