// Our signature checks judged by the providers' own SDKs (tests/sdk, pinned npm packages run
// by Node): whatever an SDK signs must verify here, and what `vrnumd simulate` sends must
// pass the SDK's own validator. Requests go to tests/sdk/sign.mjs as JSON lines, one run of
// Node per test.

#include <chrono>
#include <cstdio>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include <vrnum/config.hpp>
#include <vrnum/source.hpp>

#include "sources/plivo_source.hpp"
#include "sources/source_util.hpp"
#include "sources/standard_webhooks_source.hpp"
#include "sources/telnyx_source.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"
#include "support/process.hpp"
#include "support/signing.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace json = boost::json;
namespace t = vrnum::test;
using vrnum::request_view;
using clock_type = std::chrono::system_clock;

// Sends `requests` to the SDK harness; one answer object per request, in order.
std::vector<json::object> ask_sdk(const std::vector<json::object>& requests) {
    t::temp_dir dir;
    auto in = dir.path() / "requests.jsonl";
    {
        std::ofstream f(in);
        for (const auto& r : requests) {
            f << json::serialize(r) << '\n';
        }
    }
    std::string script = t::source_dir() + "/tests/sdk/sign.mjs";
    auto res = t::run({"/bin/sh", "-c", "exec node \"$0\" < \"$1\"", script, in.string()},
                      std::chrono::seconds(120));
    EXPECT_EQ(res.exit_code, 0) << res.err;
    std::vector<json::object> answers;
    std::size_t start = 0;
    while (start < res.out.size()) {
        auto nl = res.out.find('\n', start);
        auto line = res.out.substr(start, nl - start);
        start = nl == std::string::npos ? res.out.size() : nl + 1;
        if (!line.empty()) {
            answers.push_back(json::parse(line).as_object());
        }
    }
    EXPECT_EQ(answers.size(), requests.size()) << res.err;
    for (const auto& a : answers) {
        EXPECT_FALSE(a.contains("error")) << json::serialize(a);
    }
    answers.resize(requests.size());
    return answers;
}

json::object ask_one(json::object request) {
    return ask_sdk({std::move(request)}).front();
}

std::string str(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

bool valid(const json::object& o) {
    const auto* v = o.if_contains("valid");
    return v && v->is_bool() && v->as_bool();
}

// A form body as a provider's HTTP client writes it: every byte but the unreserved ones
// percent-encoded (written here, not with our encoder).
std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields) {
    auto enc = [](std::string_view s) {
        std::string out;
        for (unsigned char c : s) {
            if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
                out.push_back(static_cast<char>(c));
            } else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                out += buf;
            }
        }
        return out;
    };
    std::string body;
    for (const auto& [k, v] : fields) {
        body += (body.empty() ? "" : "&") + enc(k) + "=" + enc(v);
    }
    return body;
}

json::object params_object(const std::vector<std::pair<std::string, std::string>>& fields) {
    json::object params;
    for (const auto& [k, v] : fields) {
        if (auto* existing = params.if_contains(k)) {
            if (!existing->is_array()) {
                *existing = json::array{*existing};
            }
            existing->as_array().emplace_back(v);
        } else {
            params[k] = v;
        }
    }
    return params;
}

vrnum::message demo_message() {
    vrnum::message m;
    m.provider_id = "SM5f1c0d6e";
    m.from = "+447700900001";
    m.to = "+37255500001";
    m.text = "Код 123-456 & more = 100% \"ok\" 👋\nline two";
    return m;
}

request_view view_of(const vrnum::outgoing_request& r, std::vector<vrnum::header_field>& storage) {
    storage.assign(r.headers.begin(), r.headers.end());
    return {r.method, r.target, storage, r.body};
}

vrnum::source_config config(vrnum::source_kind kind, std::vector<std::string> secrets,
                            std::vector<std::string> keys = {}) {
    vrnum::source_config cfg;
    cfg.id = "s1";
    cfg.kind = kind;
    cfg.secrets = std::move(secrets);
    cfg.public_keys = std::move(keys);
    return cfg;
}

TEST(ProviderSdk, TwilioSignaturesAgreeBothWays) {
    const std::string token = "f0e1d2c3b4a5968778695a4b3c2d1e0f";
    vrnum::detail::twilio_source src(config(vrnum::source_kind::twilio, {token}));
    struct form_case {
        std::string sdk_url;  // the URL configured at Twilio
        std::string base;     // our public_base_url
        std::string target;   // what reaches us
        std::vector<std::pair<std::string, std::string>> fields;
    };
    std::vector<form_case> cases = {
        {"https://sms.example.com/webhooks/s1",
         "https://sms.example.com",
         "/webhooks/s1",
         {{"MessageSid", "SM1"},
          {"From", "+447700900001"},
          {"To", "+37255500001"},
          {"Body", "Привет 👋 & = + % ?"},
          {"NumSegments", "1"},
          {"Empty", ""}}},
        {"https://sms.example.com:443/webhooks/s1?tenant=a%20b&x=1",
         "https://sms.example.com",
         "/webhooks/s1?tenant=a%20b&x=1",
         {{"MessageSid", "SM2"}, {"From", "Google"}, {"To", "+37255500001"}, {"Body", "x"}}},
        {"http://127.0.0.1:8080/webhooks/s1",
         "http://127.0.0.1:8080",
         "/webhooks/s1",
         {{"MessageSid", "SM3"},
          {"From", "+1"},
          {"To", "+2"},
          {"Body", "b"},
          {"Media", "z"},
          {"Media", "a"},
          {"Media", "z"},
          {"a", "lower sorts after upper"}}},
    };
    std::vector<json::object> asks;
    for (const auto& c : cases) {
        asks.push_back({{"op", "twilio_sign"},
                        {"token", token},
                        {"url", c.sdk_url},
                        {"params", params_object(c.fields)}});
    }
    // The JSON variant: the SDK's body hash in the URL, the URL signed alone.
    const std::string body =
        R"({"MessageSid":"SM4","From":"+1555","To":"+37255500001","Body":"j"})";
    asks.push_back({{"op", "twilio_body_hash"}, {"body", body}});
    auto answers = ask_sdk(asks);
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].sdk_url);
        std::string form = form_encode(cases[i].fields);
        std::string sig = str(answers[i], "signature");  // headers are views: keep it alive
        request_view req{
            "POST",
            cases[i].target,
            {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-Twilio-Signature", sig}},
            form};
        EXPECT_FALSE(src.verify(req, cases[i].base, clock_type::now()));
        EXPECT_TRUE(src.parse(req, clock_type::now()));
    }
    std::string target = "/webhooks/s1?bodySHA256=" + str(answers.back(), "hash");
    auto signed_url = ask_one({{"op", "twilio_sign"},
                               {"token", token},
                               {"url", "https://sms.example.com" + target},
                               {"params", nullptr}});
    std::string url_sig = str(signed_url, "signature");
    request_view json_req{"POST",
                          target,
                          {{"Content-Type", "application/json"}, {"X-Twilio-Signature", url_sig}},
                          body};
    EXPECT_FALSE(src.verify(json_req, "https://sms.example.com", clock_type::now()));

    // What `vrnumd simulate` sends passes Twilio's own validator.
    auto demo = src.demo_request(demo_message(), "https://sms.example.com", clock_type::now());
    ASSERT_TRUE(demo);
    std::vector<vrnum::header_field> storage;
    auto demo_req = view_of(*demo, storage);
    auto fields = vrnum::detail::parse_form(demo->body);
    ASSERT_TRUE(fields);
    auto judged = ask_one({{"op", "twilio_validate"},
                           {"token", token},
                           {"signature", std::string(demo_req.header("X-Twilio-Signature"))},
                           {"url", "https://sms.example.com" + demo->target},
                           {"params", params_object(*fields)}});
    EXPECT_TRUE(valid(judged)) << json::serialize(judged);
}

TEST(ProviderSdk, StandardWebhooksSignaturesAgreeBothWays) {
    const std::string secret = "whsec_" + t::base64("a secret of twenty-four!");
    vrnum::detail::standard_webhooks_source src(
        config(vrnum::source_kind::standard_webhooks, {secret}));
    auto now = clock_type::now();
    auto ts = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::string body = R"({"from":"+447700900001","to":"+37255500001","text":"Ωmega 👋"})";
    auto answers = ask_one({{"op", "sw_sign"},
                            {"secret", secret},
                            {"id", "msg_2b"},
                            {"timestamp", ts},
                            {"body", body}});
    std::string ts_text = std::to_string(ts);
    std::string sig = str(answers, "signature");
    request_view req{
        "POST",
        "/webhooks/s1",
        {{"webhook-id", "msg_2b"}, {"webhook-timestamp", ts_text}, {"webhook-signature", sig}},
        body};
    EXPECT_FALSE(src.verify(req, "", now));

    auto demo = src.demo_request(demo_message(), "", now);
    ASSERT_TRUE(demo);
    std::vector<vrnum::header_field> storage;
    auto demo_req = view_of(*demo, storage);
    auto judged =
        ask_one({{"op", "sw_verify"},
                 {"secret", secret},
                 {"id", std::string(demo_req.header("webhook-id"))},
                 {"timestamp", std::stoll(std::string(demo_req.header("webhook-timestamp")))},
                 {"signature", std::string(demo_req.header("webhook-signature"))},
                 {"body", demo->body},
                 {"now", ts}});
    EXPECT_TRUE(valid(judged)) << json::serialize(judged);
}

TEST(ProviderSdk, TelnyxSignaturesAgreeWithTheSdk) {
    // A key pair made by Node, a signature made by Node: our check must accept it; and the
    // construction we verify (OpenSSL-signed here) must be what Telnyx's SDK accepts.
    auto keys = ask_one({{"op", "ed25519_keypair"}});
    const std::string pub = str(keys, "public_raw_b64");
    const std::string body =
        R"({"data":{"event_type":"message.received","payload":{"id":"m-1","text":"Hej 👋","from":{"phone_number":"+13125550001"},"to":[{"phone_number":"+37255500001"}]}}})";
    auto now = clock_type::now();
    std::string ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    auto signed_by_node = ask_one({{"op", "ed25519_sign"},
                                   {"private_pem", str(keys, "private_pem")},
                                   {"message", ts + "|" + body}});
    vrnum::detail::telnyx_source src(config(vrnum::source_kind::telnyx, {}, {pub}));
    std::string node_sig = str(signed_by_node, "signature_b64");
    request_view req{"POST",
                     "/webhooks/s1",
                     {{"telnyx-signature-ed25519", node_sig}, {"telnyx-timestamp", ts}},
                     body};
    EXPECT_FALSE(src.verify(req, "", now));

    t::ed25519_signer ours;
    std::string sig = t::base64(ours.sign(ts + "|" + body));
    auto judged = ask_one({{"op", "telnyx_verify"},
                           {"public_key_b64", t::base64(ours.public_raw())},
                           {"body", body},
                           {"timestamp", ts},
                           {"signature_b64", sig}});
    EXPECT_TRUE(valid(judged)) << json::serialize(judged);
    vrnum::detail::telnyx_source mine(
        config(vrnum::source_kind::telnyx, {}, {t::base64(ours.public_raw())}));
    request_view req2{"POST",
                      "/webhooks/s1",
                      {{"telnyx-signature-ed25519", sig}, {"telnyx-timestamp", ts}},
                      body};
    EXPECT_FALSE(mine.verify(req2, "", now));

    // What `vrnumd simulate --signing-key` posts, signed with Node's private key, is what
    // Telnyx's SDK accepts.
    auto demo = src.demo_request_signed(demo_message(), "", now, str(keys, "private_pem"));
    ASSERT_TRUE(demo);
    std::vector<vrnum::header_field> storage;
    auto demo_req = view_of(*demo, storage);
    EXPECT_FALSE(src.verify(demo_req, "", now));
    ASSERT_TRUE(src.parse(demo_req, now));
    EXPECT_EQ(src.parse(demo_req, now)->messages.at(0).text, demo_message().text);
    auto demo_judged =
        ask_one({{"op", "telnyx_verify"},
                 {"public_key_b64", pub},
                 {"body", demo->body},
                 {"timestamp", std::string(demo_req.header("telnyx-timestamp"))},
                 {"signature_b64", std::string(demo_req.header("telnyx-signature-ed25519"))}});
    EXPECT_TRUE(valid(demo_judged)) << json::serialize(demo_judged);
    // A key whose public half is not configured is refused, not used.
    auto other = ask_one({{"op", "ed25519_keypair"}});
    EXPECT_THROW(src.demo_request_signed(demo_message(), "", now, str(other, "private_pem")),
                 std::invalid_argument);
}

TEST(ProviderSdk, PlivoSignaturesAgreeBothWays) {
    const std::string token = "MTZhY2E0ZGRkYzYwMGE5ZDVmMzA0Zj";
    vrnum::detail::plivo_source src(config(vrnum::source_kind::plivo, {token}));
    struct plivo_case {
        std::string target;
        std::vector<std::pair<std::string, std::string>> fields;
    };
    std::vector<plivo_case> cases = {
        {"/webhooks/s1",
         {{"From", "447700900001"},
          {"To", "37255500001"},
          {"Type", "sms"},
          {"Text", "Привет 👋 a=b&c + d"},
          {"MessageUUID", "u-1"}}},
        {"/webhooks/s1?b=3&a=1&b=2&sp=x+y",
         {{"To", "37255500001"}, {"From", "Google"}, {"Text", ""}, {"MessageUUID", "u-2"}}},
    };
    std::vector<json::object> asks;
    for (std::size_t i = 0; i < cases.size(); ++i) {
        asks.push_back({{"op", "plivo_v3_sign"},
                        {"method", "POST"},
                        {"url", "https://sms.example.com" + cases[i].target},
                        {"nonce", "nonce-" + std::to_string(i)},
                        {"token", token},
                        {"params", params_object(cases[i].fields)}});
    }
    asks.push_back({{"op", "plivo_v2_sign"},
                    {"url", "https://sms.example.com/webhooks/s1?ignored=1"},
                    {"nonce", "v2-nonce"},
                    {"token", token}});
    auto answers = ask_sdk(asks);
    auto now = clock_type::now();
    for (std::size_t i = 0; i < cases.size(); ++i) {
        SCOPED_TRACE(cases[i].target);
        std::string form = form_encode(cases[i].fields);
        std::string sig = str(answers[i], "signature");
        std::string nonce = "nonce-" + std::to_string(i);
        request_view req{"POST",
                         cases[i].target,
                         {{"X-Plivo-Signature-V3", sig}, {"X-Plivo-Signature-V3-Nonce", nonce}},
                         form};
        EXPECT_FALSE(src.verify(req, "https://sms.example.com", now));
        EXPECT_TRUE(src.parse(req, now));
    }
    std::string v2 = str(answers.back(), "signature");
    request_view v2_req{"POST",
                        "/webhooks/s1?ignored=1",
                        {{"X-Plivo-Signature-V2", v2}, {"X-Plivo-Signature-V2-Nonce", "v2-nonce"}},
                        form_encode(cases[0].fields)};
    EXPECT_FALSE(src.verify(v2_req, "https://sms.example.com", now));

    auto demo = src.demo_request(demo_message(), "https://sms.example.com", now);
    ASSERT_TRUE(demo);
    std::vector<vrnum::header_field> storage;
    auto demo_req = view_of(*demo, storage);
    auto fields = vrnum::detail::parse_form(demo->body);
    ASSERT_TRUE(fields);
    auto judged = ask_one({{"op", "plivo_v3_validate"},
                           {"method", "POST"},
                           {"url", "https://sms.example.com" + demo->target},
                           {"nonce", std::string(demo_req.header("X-Plivo-Signature-V3-Nonce"))},
                           {"token", token},
                           {"signature", std::string(demo_req.header("X-Plivo-Signature-V3"))},
                           {"params", params_object(*fields)}});
    EXPECT_TRUE(valid(judged)) << json::serialize(judged);
}

TEST(ProviderSdk, VonageSmsSignaturesAgreeBothWays) {
    const std::string secret = "vonage-signature-secret";
    const auto now = clock_type::now();
    const std::string ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    const std::vector<std::pair<std::string, std::string>> fields = {
        {"msisdn", "447700900001"},
        {"to", "37255500001"},
        {"messageId", "0A00000012345678"},
        {"text", "Привет a=b&c + d 👋"},
        {"type", "unicode"},
        {"keyword", "ПРИВЕТ"},
        {"message-timestamp", "2024-01-02 03:04:05"},
        {"timestamp", ts},
        {"nonce", "3f1c2d4e-0000-4000-8000-000000000001"}};
    const std::vector<std::string> methods = {"md5hash", "md5hmac", "sha1hmac", "sha256hmac",
                                              "sha512hmac"};
    std::vector<json::object> asks;
    for (const auto& method : methods) {
        asks.push_back({{"op", "vonage_sms_sign"},
                        {"params", params_object(fields)},
                        {"secret", secret},
                        {"method", method}});
    }
    auto answers = ask_sdk(asks);
    std::vector<json::object> judge;
    for (std::size_t i = 0; i < methods.size(); ++i) {
        SCOPED_TRACE(methods[i]);
        auto cfg = config(vrnum::source_kind::vonage, {secret});
        cfg.signature_method = methods[i];
        vrnum::detail::vonage_source src(cfg);
        auto signed_fields = fields;
        signed_fields.emplace_back("sig", str(answers[i], "sig"));
        std::string form = form_encode(signed_fields);
        request_view req{
            "POST", "/webhooks/s1", {{"Content-Type", "application/x-www-form-urlencoded"}}, form};
        EXPECT_FALSE(src.verify(req, "", now));
        std::string target = "/webhooks/s1?" + form;
        EXPECT_FALSE(src.verify({"GET", target, {}, ""}, "", now));

        auto demo = src.demo_request(demo_message(), "", now);
        ASSERT_TRUE(demo);
        auto demo_fields = vrnum::detail::parse_form(demo->body);
        ASSERT_TRUE(demo_fields);
        judge.push_back({{"op", "vonage_sms_verify"},
                         {"params", params_object(*demo_fields)},
                         {"secret", secret},
                         {"method", methods[i]}});
        auto forged = *demo_fields;
        forged.front().second += "0";
        judge.push_back({{"op", "vonage_sms_verify"},
                         {"params", params_object(forged)},
                         {"secret", secret},
                         {"method", methods[i]}});
    }
    auto verdicts = ask_sdk(judge);
    for (std::size_t i = 0; i < methods.size(); ++i) {
        EXPECT_TRUE(valid(verdicts[2 * i])) << methods[i] << json::serialize(verdicts[2 * i]);
        EXPECT_FALSE(valid(verdicts[2 * i + 1])) << methods[i];
    }
}

TEST(ProviderSdk, VonageMessagesApiJwtAcceptedByBothSides) {
    const std::string secret = "messages-api-signature-secret";
    const auto now = clock_type::now();
    const auto iat =
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    const std::string body =
        R"({"channel":"sms","message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",)"
        R"("to":"37255500001","from":"447700900001","timestamp":"2024-01-02T03:04:05.000Z",)"
        R"("text":"Code 1234 👋","message_type":"text"})";
    auto hash = str(ask_one({{"op", "sha256_hex"}, {"body", body}}), "hex");
    auto token = str(ask_one({{"op", "vonage_jwt_sign"},
                              {"secret", secret},
                              {"claims",
                               {{"iat", iat},
                                {"jti", "2d8e5f4c-1111-4000-8000-000000000002"},
                                {"iss", "Vonage"},
                                {"payload_hash", hash},
                                {"api_key", "abcd1234"},
                                {"application_id", "app-1"}}}}),
                     "token");
    // @vonage/jwt's own check says the token is good ...
    EXPECT_TRUE(
        valid(ask_one({{"op", "vonage_jwt_verify"}, {"token", token}, {"secret", secret}})));
    // ... and so do we, with the body it covers and no other.
    vrnum::detail::vonage_source src(config(vrnum::source_kind::vonage, {secret}));
    const std::string auth = "Bearer " + token;
    request_view req{"POST", "/webhooks/s1", {{"Authorization", auth}}, body};
    EXPECT_FALSE(src.verify(req, "", now));
    auto parsed = src.parse(req, now);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->messages.at(0).text, "Code 1234 👋");
    std::string other = body;
    other.replace(other.find("1234"), 4, "4321");
    req.body = other;
    EXPECT_EQ(src.verify(req, "", now), vrnum::verify_error::mismatch);
}

}  // namespace
