#include "sources/vonage_source.hpp"

#include <algorithm>
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
using vrnum::detail::vonage_source;
namespace t = vrnum::test;
using clock_type = std::chrono::system_clock;

const clock_type::time_point now{std::chrono::seconds(1700000000)};
const boost::system::error_code ok{};
const auto malformed = make_error_code(errc::malformed);

source_config config(std::vector<std::string> secrets, std::string method = "md5hash") {
    source_config cfg;
    cfg.id = "vn";
    cfg.kind = vrnum::source_kind::vonage;
    cfg.secrets = std::move(secrets);
    cfg.signature_method = std::move(method);
    cfg.multipart_timeout_seconds = 60;
    return cfg;
}

// An inbound SMS as Vonage's SMS API sends it, without `sig`; the text holds `&` and `=`.
const std::vector<std::pair<std::string, std::string>> sms_params = {
    {"msisdn", "447700900001"},
    {"to", "37255500001"},
    {"messageId", "0A0000000123ABCD1"},
    {"text", "Hello a=b&c \xF0\x9F\x91\x8B"},
    {"type", "unicode"},
    {"keyword", "HELLO"},
    {"api-key", "abcd1234"},
    {"message-timestamp", "2023-11-14 22:13:20"},
    {"timestamp", "1700000000"},
    {"nonce", "aaaaaaaa-bbbb-cccc-dddd-0123456789ab"}};

// The string @vonage/sms signs, written out by hand for `sms_params`: sorted by name (`api-key`
// before `keyword` before `message-timestamp` ...), `&`/`=` in values replaced by `_`.
const std::string sms_string =
    "&api-key=abcd1234&keyword=HELLO&message-timestamp=2023-11-14 22:13:20&messageId="
    "0A0000000123ABCD1&msisdn=447700900001&nonce=aaaaaaaa-bbbb-cccc-dddd-0123456789ab&text=Hello "
    "a_b_c \xF0\x9F\x91\x8B&timestamp=1700000000&to=37255500001&type=unicode";

std::string sig_for(std::string_view method, std::string_view secret, std::string_view s) {
    if (method == "md5hash") {
        return t::hex(t::hash("MD5", std::string(s) + std::string(secret)));
    }
    std::string digest(method.substr(0, method.size() - 4));  // "sha256hmac" -> "sha256"
    return t::hex(t::hmac(digest, secret, s));
}

std::string form(const std::vector<std::pair<std::string, std::string>>& params) {
    return vrnum::detail::encode_form(params);
}

auto with_sig(std::vector<std::pair<std::string, std::string>> params, std::string sig) {
    params.emplace_back("sig", std::move(sig));
    return params;
}

request_view post_form(const std::string& body) {
    return {"POST", "/webhooks/vn", {{"Content-Type", "application/x-www-form-urlencoded"}}, body};
}

TEST(VonageSource, SignedStringIsSortedWithSeparatorsReplaced) {
    EXPECT_EQ(vonage_source::signed_string(with_sig(sms_params, "ignored")), sms_string);
}

TEST(VonageSource, EverySignatureMethodOverAForm) {
    for (std::string method : {"md5hash", "md5hmac", "sha1hmac", "sha256hmac", "sha512hmac"}) {
        vonage_source src(config({"secret-1"}, method));
        std::string sig = sig_for(method, "secret-1", sms_string);
        std::string body = form(with_sig(sms_params, sig));
        EXPECT_EQ(src.verify(post_form(body), "", now), ok) << method;
        // Compared case-insensitively: Vonage has sent both.
        std::string upper = sig;
        std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
        EXPECT_EQ(src.verify(post_form(form(with_sig(sms_params, upper))), "", now), ok) << method;
        // Another method's digest of the same string is not this one's.
        std::string other =
            sig_for(method == "md5hash" ? "md5hmac" : "md5hash", "secret-1", sms_string);
        EXPECT_EQ(src.verify(post_form(form(with_sig(sms_params, other))), "", now),
                  verify_error::mismatch)
            << method;
    }
}

TEST(VonageSource, GetQueryAndJsonBodies) {
    vonage_source src(config({"secret-1"}, "sha256hmac"));
    std::string sig = sig_for("sha256hmac", "secret-1", sms_string);
    std::string target = "/webhooks/vn?" + form(with_sig(sms_params, sig));
    EXPECT_EQ(src.verify({"GET", target, {}, ""}, "", now), ok);
    // A GET is read from its query alone, even with a body.
    EXPECT_EQ(src.verify({"GET", "/webhooks/vn", {}, form(with_sig(sms_params, sig))}, "", now),
              verify_error::missing);

    // JSON: string values, and numbers as their decimal text.
    auto params = sms_params;
    params.emplace_back("concat-part", "2");
    std::string s = vonage_source::signed_string(params);
    std::string json =
        R"({"msisdn":"447700900001","to":"37255500001","messageId":"0A0000000123ABCD1",)"
        R"("text":"Hello a=b&c \ud83d\udc4b","type":"unicode","keyword":"HELLO",)"
        R"("api-key":"abcd1234","message-timestamp":"2023-11-14 22:13:20",)"
        R"("timestamp":1700000000,"nonce":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",)"
        R"("concat-part":2,"sig":")" +
        sig_for("sha256hmac", "secret-1", s) + "\"}";
    request_view req{"POST", "/webhooks/vn", {{"Content-Type", "application/json"}}, json};
    EXPECT_EQ(src.verify(req, "", now), ok);
    // A nested value cannot have been signed.
    std::string nested = json;
    nested.replace(nested.find("\"HELLO\""), 7, R"({"a":1})");
    EXPECT_EQ(src.verify({"POST", "/webhooks/vn", {{"Content-Type", "application/json"}}, nested},
                         "", now),
              verify_error::mismatch);
}

TEST(VonageSource, RefusesTamperedWrongKeyMissingStaleAndDuplicates) {
    vonage_source src(config({"secret-1"}));
    std::string sig = sig_for("md5hash", "secret-1", sms_string);
    std::string body = form(with_sig(sms_params, sig));
    ASSERT_EQ(src.verify(post_form(body), "", now), ok);

    std::string tampered = body;
    tampered.replace(tampered.find("Hello"), 5, "Hallo");
    EXPECT_EQ(src.verify(post_form(tampered), "", now), verify_error::mismatch);
    EXPECT_EQ(
        src.verify(post_form(form(with_sig(sms_params, sig_for("md5hash", "other", sms_string)))),
                   "", now),
        verify_error::mismatch);
    EXPECT_EQ(src.verify(post_form(form(sms_params)), "", now), verify_error::missing);
    auto no_ts = sms_params;
    std::erase_if(no_ts, [](const auto& p) { return p.first == "timestamp"; });
    EXPECT_EQ(
        src.verify(post_form(form(with_sig(no_ts, sig_for("md5hash", "secret-1",
                                                          vonage_source::signed_string(no_ts))))),
                   "", now),
        verify_error::missing);
    EXPECT_EQ(src.verify(post_form(body), "", now + std::chrono::seconds(301)),
              verify_error::stale);
    EXPECT_EQ(src.verify(post_form(body), "", now - std::chrono::seconds(301)),
              verify_error::stale);
    EXPECT_EQ(src.verify(post_form(body), "", now + std::chrono::seconds(300)), ok);
    // A name given twice: which one was signed is anyone's guess.
    EXPECT_EQ(src.verify(post_form(body + "&text=other"), "", now), verify_error::mismatch);
    EXPECT_EQ(src.verify(post_form(form(with_sig(sms_params, "zz"))), "", now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(post_form("%zz"), "", now), verify_error::mismatch);
    // A name holding `&` or `=` folds signed parameters into one: the same signed string with
    // `concat` gone. Refused.
    auto folded = sms_params;
    folded.insert(folded.begin(), {"api-key=abcd1234&concat", "true"});
    std::erase_if(folded, [](const auto& p) { return p.first == "api-key"; });
    auto with_concat = sms_params;
    with_concat.emplace_back("concat", "true");
    const std::string s = vonage_source::signed_string(with_concat);
    ASSERT_EQ(vonage_source::signed_string(folded), s);
    EXPECT_EQ(
        src.verify(post_form(form(with_sig(folded, sig_for("md5hash", "secret-1", s)))), "", now),
        verify_error::mismatch);
}

TEST(VonageSource, RotatedSecretList) {
    vonage_source src(config({"new", "old"}, "sha512hmac"));
    for (std::string secret : {"new", "old"}) {
        std::string sig = sig_for("sha512hmac", secret, sms_string);
        EXPECT_EQ(src.verify(post_form(form(with_sig(sms_params, sig))), "", now), ok) << secret;
    }
    EXPECT_THROW(vonage_source(config({})), std::invalid_argument);
    EXPECT_THROW(vonage_source(config({""})), std::invalid_argument);
    EXPECT_THROW(vonage_source(config({"s"}, "sha384hmac")), std::invalid_argument);
}

// ---- Messages API ----------------------------------------------------------------------

std::string jwt(std::string_view header, std::string_view claims, std::string_view secret) {
    std::string input = t::base64url(header) + "." + t::base64url(claims);
    return input + "." + t::base64url(t::hmac("SHA256", secret, input));
}

const std::string inbound =
    R"({"channel":"sms","message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",)"
    R"("to":"37255500001","from":"447700900001","timestamp":"2023-11-14T22:13:20.000Z",)"
    R"("text":"Code 1234","message_type":"text","sms":{"num_messages":"1"}})";

std::string claims_for(std::string_view body, long iat = 1700000000, std::string_view extra = "") {
    return R"({"iat":)" + std::to_string(iat) + R"(,"jti":"j-1","iss":"Vonage","payload_hash":")" +
           t::hex(t::hash("SHA256", body)) + "\"" + std::string(extra) + "}";
}

const std::string hs256 = R"({"alg":"HS256","typ":"JWT"})";

// `auth` is the whole header value (a view of it is kept).
request_view bearer(const std::string& auth, std::string_view body) {
    return {"POST",
            "/webhooks/vn",
            {{"Content-Type", "application/json"}, {"Authorization", auth}},
            body};
}

TEST(VonageSource, MessagesApiJwt) {
    vonage_source src(config({"old", "sig-secret"}));
    std::string token = jwt(hs256, claims_for(inbound), "sig-secret");
    // request_view holds views: keep the header strings alive.
    std::string auth = "Bearer " + token;
    request_view req{"POST", "/webhooks/vn", {{"Authorization", auth}}, inbound};
    EXPECT_EQ(src.verify(req, "", now), ok);
    EXPECT_EQ(src.verify(req, "", now + std::chrono::seconds(300)), ok);
    EXPECT_EQ(src.verify(req, "", now + std::chrono::seconds(301)), verify_error::stale);
    EXPECT_EQ(src.verify(req, "", now - std::chrono::seconds(301)), verify_error::stale);

    std::string tampered = inbound;
    tampered.replace(tampered.find("1234"), 4, "9999");
    req.body = tampered;
    EXPECT_EQ(src.verify(req, "", now), verify_error::mismatch);  // payload_hash

    auto check = [&](const std::string& tok) {
        std::string a = "Bearer " + tok;
        return src.verify({"POST", "/webhooks/vn", {{"Authorization", a}}, inbound}, "", now);
    };
    EXPECT_EQ(check(jwt(hs256, claims_for(inbound), "wrong")), verify_error::mismatch);
    // The token does not choose the algorithm.
    EXPECT_EQ(
        check(t::base64url(R"({"alg":"none"})") + "." + t::base64url(claims_for(inbound)) + "."),
        verify_error::mismatch);
    EXPECT_EQ(check(jwt(R"({"alg":"HS384"})", claims_for(inbound), "sig-secret")),
              verify_error::mismatch);
    EXPECT_EQ(check(jwt(R"({"alg":"RS256"})", claims_for(inbound), "sig-secret")),
              verify_error::mismatch);
    // No payload_hash: the body would not be covered.
    EXPECT_EQ(check(jwt(hs256, R"({"iat":1700000000})", "sig-secret")), verify_error::mismatch);
    EXPECT_EQ(check(jwt(hs256, R"({"payload_hash":")" + t::hex(t::hash("SHA256", inbound)) + "\"}",
                        "sig-secret")),
              verify_error::missing);
    EXPECT_EQ(
        check(jwt(hs256, claims_for(inbound, 1700000000, R"(,"exp":1699999999)"), "sig-secret")),
        verify_error::stale);
    EXPECT_EQ(
        check(jwt(hs256, claims_for(inbound, 1700000000, R"(,"nbf":1700000100)"), "sig-secret")),
        verify_error::stale);
    EXPECT_EQ(
        check(jwt(hs256, claims_for(inbound, 1700000000, R"(,"exp":1700000100)"), "sig-secret")),
        ok);
    EXPECT_EQ(check("a.b"), verify_error::mismatch);
    EXPECT_EQ(check(token + ".x"), verify_error::mismatch);
    EXPECT_EQ(check(std::string(9000, 'a')), verify_error::mismatch);
}

TEST(VonageSource, ParsesMessagesApiInboundAndSkipsEvents) {
    vonage_source src(config({"s"}));
    const std::string token = "Bearer " + jwt(hs256, claims_for(inbound), "s");
    auto r = src.parse(bearer(token, inbound), now);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->messages.size(), 1u);
    const auto& m = r->messages[0];
    EXPECT_EQ(m.source, "vn");
    EXPECT_EQ(m.provider_id, "aaaaaaaa-bbbb-cccc-dddd-0123456789ab");
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "Code 1234");
    EXPECT_EQ(m.sent_at, 1700000000000);
    EXPECT_FALSE(m.part);

    for (std::string event :
         {R"({"message_uuid":"u","to":"1","from":"2","timestamp":"2023-11-14T22:13:20Z",)"
          R"("status":"delivered","channel":"sms"})",
          R"({"channel":"whatsapp","message_uuid":"u","to":"1","from":"2","text":"hi"})"}) {
        auto e = src.parse(bearer(token, event), now);
        ASSERT_TRUE(e) << event;
        EXPECT_TRUE(e->messages.empty()) << event;
    }
    for (std::string bad : {"[]", "{", R"({"channel":"sms","message_uuid":"u","to":"1"})",
                            R"({"message_uuid":"u","to":"1","from":"2","text":5})"}) {
        EXPECT_EQ(src.parse(bearer(token, bad), now).error(), malformed) << bad;
    }
}

TEST(VonageSource, ParsesSmsApiFields) {
    vonage_source src(config({"s"}));
    auto r = src.parse(post_form(form(with_sig(sms_params, "x"))), now);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->messages.size(), 1u);
    const auto& m = r->messages[0];
    EXPECT_EQ(m.provider_id, "0A0000000123ABCD1");
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "Hello a=b&c \xF0\x9F\x91\x8B");
    EXPECT_EQ(m.sent_at, 1700000000000);
    EXPECT_EQ(m.received_at, 1700000000000);

    // An alphanumeric sender is kept; binary keeps its hex `data`.
    auto binary = sms_params;
    binary[0].second = "Google";
    binary[4].second = "binary";
    binary[3] = {"data", "0506040b8423f0"};
    binary.emplace_back("udh", "050003cc0201");
    auto b = src.parse(post_form(form(binary)), now);
    ASSERT_TRUE(b) << b.error().message();
    EXPECT_EQ(b->messages.at(0).from, "Google");
    EXPECT_EQ(b->messages.at(0).text, "0506040b8423f0");

    // A delivery receipt sent to this URL is acknowledged, not stored.
    auto dlr = src.parse(post_form("msisdn=447700900001&to=Acme&messageId=1&status=delivered&"
                                   "err-code=0&message-timestamp=2023-11-14+22%3A13%3A20"),
                         now);
    ASSERT_TRUE(dlr);
    EXPECT_TRUE(dlr->messages.empty());

    for (std::string bad :
         {"to=1&messageId=1&text=a", "msisdn=1&messageId=1&text=a", "msisdn=1&to=2&text=a",
          "msisdn=1&to=2&messageId=1", "msisdn=1&to=2&messageId=1&text=%FF",
          "msisdn=1&to=2&messageId=1&text=a&text=b"}) {
        EXPECT_EQ(src.parse(post_form(bad), now).error(), malformed) << bad;
    }
    // An unreadable sent time costs the sent time, not the message.
    auto odd_time =
        src.parse(post_form("msisdn=1&to=2&messageId=1&text=a&message-timestamp=soon"), now);
    ASSERT_TRUE(odd_time);
    EXPECT_FALSE(odd_time->messages.at(0).sent_at);
}

TEST(VonageSource, MultipartPartsCarryTheirPlace) {
    vonage_source src(config({"s"}));
    auto part = sms_params;
    part.emplace_back("concat", "true");
    part.emplace_back("concat-ref", "17");
    part.emplace_back("concat-total", "3");
    part.emplace_back("concat-part", "2");
    auto r = src.parse(post_form(form(part)), now);
    ASSERT_TRUE(r) << r.error().message();
    const auto& m = r->messages.at(0);
    ASSERT_TRUE(m.part);
    EXPECT_EQ(m.part->ref, "17");
    EXPECT_EQ(m.part->total, 3u);
    EXPECT_EQ(m.part->number, 2u);
    EXPECT_EQ(m.part->deadline, 1700000000000 + 60000);

    auto one = sms_params;
    one.insert(
        one.end(),
        {{"concat", "true"}, {"concat-ref", "1"}, {"concat-total", "1"}, {"concat-part", "1"}});
    auto whole = src.parse(post_form(form(one)), now);
    ASSERT_TRUE(whole);
    EXPECT_FALSE(whole->messages.at(0).part);

    for (auto [total, number] : std::vector<std::pair<std::string, std::string>>{
             {"3", "4"}, {"3", "0"}, {"0", "0"}, {"256", "1"}, {"x", "1"}, {"3", ""}}) {
        auto bad = sms_params;
        bad.insert(bad.end(), {{"concat", "true"},
                               {"concat-ref", "17"},
                               {"concat-total", total},
                               {"concat-part", number}});
        EXPECT_EQ(src.parse(post_form(form(bad)), now).error(), malformed) << total << number;
    }
}

TEST(VonageSource, DemoRequestVerifiesAndParses) {
    for (std::string method : {"md5hash", "sha256hmac"}) {
        vonage_source src(config({"s"}, method));
        vrnum::message m;
        m.provider_id = "demo-1";
        m.from = "+447700900001";
        m.to = "+37255500001";
        m.text = "Привет 1234";
        auto out = src.demo_request(m, "http://127.0.0.1:8080", now);
        ASSERT_TRUE(out);
        request_view req{out->method, out->target, {}, out->body};
        for (const auto& h : out->headers) {
            req.headers.emplace_back(h.first, h.second);
        }
        EXPECT_EQ(src.verify(req, "", now), ok) << method;
        auto r = src.parse(req, now);
        ASSERT_TRUE(r);
        EXPECT_EQ(r->messages.at(0).text, m.text);
        EXPECT_EQ(r->messages.at(0).from, m.from);
        EXPECT_EQ(r->messages.at(0).provider_id, "demo-1");
    }
}

}  // namespace
