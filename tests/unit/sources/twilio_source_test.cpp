#include "sources/twilio_source.hpp"

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
using vrnum::detail::twilio_source;
namespace t = vrnum::test;

const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

source_config config(std::vector<std::string> tokens) {
    source_config cfg;
    cfg.id = "tw";
    cfg.kind = vrnum::source_kind::twilio;
    cfg.secrets = std::move(tokens);
    return cfg;
}

// Twilio's documented example (their "webhook security" page and every helper library's
// tests): token 12345, URL https://mycompany.com/myapp.php?foo=1&bar=2.
constexpr std::string_view doc_body =
    "CallSid=CA1234567890ABCDE&Caller=%2B14158675310&Digits=1234&From=%2B14158675310&To=%2B"
    "18005551212";
constexpr std::string_view doc_target = "/myapp.php?foo=1&bar=2";
constexpr std::string_view doc_signature = "GvWf1cFY/Q7PnoempGyD5oXAezc=";

request_view form_request(std::string_view target, std::string_view body, std::string_view sig) {
    return {"POST",
            target,
            {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", sig}},
            body};
}

TEST(TwilioSource, DocumentedVectorVerifies) {
    twilio_source src(config({"12345"}));
    auto req = form_request(doc_target, doc_body, doc_signature);
    EXPECT_FALSE(src.verify(req, "https://mycompany.com", now));
    // The same URL written with the default port: Twilio's libraries accept both forms.
    EXPECT_FALSE(src.verify(req, "https://mycompany.com:443", now));
    EXPECT_FALSE(src.verify(req, "https://mycompany.com/", now));
}

TEST(TwilioSource, RefusesWhatWasNotSigned) {
    twilio_source src(config({"12345"}));
    EXPECT_EQ(src.verify(form_request(doc_target, doc_body, doc_signature),
                         "https://mycompany.com:8443", now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(form_request("/myapp.php?foo=1&bar=3", doc_body, doc_signature),
                         "https://mycompany.com", now),
              verify_error::mismatch);
    std::string tampered(doc_body);
    tampered.replace(tampered.find("1234&"), 4, "9999");
    EXPECT_EQ(
        src.verify(form_request(doc_target, tampered, doc_signature), "https://mycompany.com", now),
        verify_error::mismatch);
    twilio_source other(config({"54321"}));
    EXPECT_EQ(other.verify(form_request(doc_target, doc_body, doc_signature),
                           "https://mycompany.com", now),
              verify_error::mismatch);
    request_view unsigned_req{"POST", doc_target, {}, doc_body};
    EXPECT_EQ(src.verify(unsigned_req, "https://mycompany.com", now), verify_error::missing);
    for (std::string_view bad :
         {"not base64!", "R3ZXZjFjRlk=", "====", "GvWf1cFY/Q7PnoempGyD5oXAezc"}) {
        SCOPED_TRACE(bad);
        auto ec = src.verify(form_request(doc_target, doc_body, bad), "https://mycompany.com", now);
        // Unpadded base64 of the right MAC is the same bytes and verifies; the rest do not.
        if (bad == "GvWf1cFY/Q7PnoempGyD5oXAezc") {
            EXPECT_FALSE(ec);
        } else {
            EXPECT_EQ(ec, verify_error::mismatch);
        }
    }
}

TEST(TwilioSource, AnyTokenOfTheListVerifies) {
    twilio_source src(config({"old-token", "12345"}));
    EXPECT_FALSE(src.verify(form_request(doc_target, doc_body, doc_signature),
                            "https://mycompany.com", now));
}

TEST(TwilioSource, RepeatedParametersSignEachDistinctValueSorted) {
    // Twilio's toFormUrlEncodedParam: a name's values, deduplicated and sorted.
    std::string url = "https://gw.example/webhooks/tw";
    std::string expected = t::base64(t::hmac("SHA1", "tok", url + "Aa" + "Mb" + "Ma" + "Zz"));
    // Sorted by name then value: Aa, Ma, Mb, Zz.
    expected = t::base64(t::hmac("SHA1", "tok", url + "Aa" + "Ma" + "Mb" + "Zz"));
    twilio_source src(config({"tok"}));
    auto req = form_request("/webhooks/tw", "Z=z&M=b&A=a&M=a&M=b", expected);
    EXPECT_FALSE(src.verify(req, "https://gw.example", now));
}

TEST(TwilioSource, JsonVariantSignsTheUrlAndHashesTheBody) {
    std::string body =
        R"({"MessageSid":"SM1","From":"+447700900001","To":"+37255500001","Body":"hi"})";
    std::string target = "/webhooks/tw?bodySHA256=" + t::hex(t::hash("SHA256", body));
    std::string sig = t::base64(t::hmac("SHA1", "tok", "https://gw.example" + target));
    twilio_source src(config({"tok"}));
    request_view req{
        "POST", target, {{"Content-Type", "application/json"}, {"X-Twilio-Signature", sig}}, body};
    EXPECT_FALSE(src.verify(req, "https://gw.example", now));
    auto parsed = src.parse(req, now);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->messages.size(), 1u);
    EXPECT_EQ(parsed->messages[0].provider_id, "SM1");
    EXPECT_EQ(parsed->messages[0].text, "hi");

    std::string changed = body;
    changed.replace(changed.find("hi"), 2, "ho");
    req.body = changed;
    EXPECT_EQ(src.verify(req, "https://gw.example", now), verify_error::mismatch);
}

TEST(TwilioSource, ParsesTheInboundSmsForm) {
    twilio_source src(config({"tok"}));
    std::string body =
        "ToCountry=EE&SmsMessageSid=SMabc&NumMedia=0&Body=Hello%2C+%D0%BC%D0%B8%D1%80+%F0%9F%91%8B%"
        "0A"
        "&To=%2B37255500001&NumSegments=1&MessageSid=SMabc&From=447700900001&ApiVersion=2010-04-01";
    auto parsed = src.parse(form_request("/webhooks/tw", body, ""), now);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->messages.size(), 1u);
    const auto& m = parsed->messages[0];
    EXPECT_EQ(m.source, "tw");
    EXPECT_EQ(m.provider_id, "SMabc");
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "Hello, \xD0\xBC\xD0\xB8\xD1\x80 \xF0\x9F\x91\x8B\n");
    EXPECT_EQ(m.received_at, 1700000000000);
}

TEST(TwilioSource, HostileFormsAreMalformed) {
    twilio_source src(config({"tok"}));
    for (std::string_view body :
         {"", "From=%2B1&To=%2B37255500001&Body=x", "MessageSid=SM1&From=a&To=&Body=x",
          "MessageSid=SM1&From=a&To=%2B37255500001", "MessageSid=SM1&From=a&To=b&Body=%FF",
          "MessageSid=SM1&From=a&To=b&Body=%G1", "MessageSid=SM1&From=a&To=b&Body=%C0%AF",
          "MessageSid=&From=a&To=b&Body=x"}) {
        SCOPED_TRACE(body);
        auto parsed = src.parse(form_request("/webhooks/tw", body, ""), now);
        ASSERT_FALSE(parsed);
        EXPECT_EQ(parsed.error(), errc::malformed);
    }
    // A NUL byte is no part of a form (and Boost 1.81's query parser would stop at it).
    const std::string with_nul("MessageSid=SM1&From=a&To=b&Body=x\0y", 36);
    EXPECT_FALSE(src.parse(form_request("/webhooks/tw", with_nul, ""), now));
    request_view json{"POST", "/webhooks/tw", {{"Content-Type", "application/json"}}, "[1,2]"};
    EXPECT_FALSE(src.parse(json, now));
}

TEST(TwilioSource, AnswersTwiml) {
    twilio_source src(config({"tok"}));
    auto answer = src.accepted_answer();
    EXPECT_EQ(answer.content_type, "text/xml");
    EXPECT_EQ(answer.body, R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)");
}

TEST(TwilioSource, DemoRequestVerifiesAndParses) {
    twilio_source src(config({"tok", "older"}));
    vrnum::message m;
    m.provider_id = "SM0001";
    m.from = "+447700900001";
    m.to = "+37255500001";
    m.text = "code 123 456 & more = \xF0\x9F\x91\x8B";
    auto out = src.demo_request(m, "http://127.0.0.1:8080", now);
    ASSERT_TRUE(out);
    std::vector<vrnum::header_field> headers(out->headers.begin(), out->headers.end());
    request_view req{"POST", out->target, headers, out->body};
    EXPECT_FALSE(src.verify(req, "http://127.0.0.1:8080", now));
    auto parsed = src.parse(req, now);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->messages.at(0).text, m.text);
    EXPECT_EQ(parsed->messages.at(0).provider_id, "SM0001");
}

}  // namespace
