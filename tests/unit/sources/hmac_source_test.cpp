#include "sources/hmac_source.hpp"

#include <cctype>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <vrnum/error.hpp>
#include <vrnum/source.hpp>

#include "sources/plivo_source.hpp"
#include "sources/standard_webhooks_source.hpp"
#include "sources/telnyx_source.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"
#include "support/signing.hpp"

namespace {

using vrnum::errc;
using vrnum::request_view;
using vrnum::source_config;
using vrnum::detail::decode_base64;
using vrnum::detail::decode_hex;
using vrnum::detail::hmac_source;
using clock_type = std::chrono::system_clock;

const clock_type::time_point now{std::chrono::seconds(1700000000)};
constexpr std::string_view body =
    R"({"id":"m1","from":"+447700900001","to":"+37255500001","text":"hi"})";

// The test's own HMAC, independent of the code under test.
using vrnum::test::hmac;
std::string to_hex(std::string_view bytes) {
    return vrnum::test::hex(bytes);
}
std::string to_base64(std::string_view bytes) {
    return vrnum::test::base64(bytes);
}

source_config make_config(std::vector<std::string> secrets = {"demo-secret"}) {
    source_config cfg;
    cfg.id = "ys";
    cfg.kind = vrnum::source_kind::hmac;
    cfg.secrets = std::move(secrets);
    cfg.header = "X-Signature";
    return cfg;
}

request_view make_request(std::string_view payload, std::vector<vrnum::header_field> headers) {
    request_view req;
    req.method = "POST";
    req.target = "/webhooks/ys";
    req.headers = std::move(headers);
    req.body = payload;
    return req;
}

boost::system::error_code verify(const source_config& cfg, std::string_view payload,
                                 std::vector<vrnum::header_field> headers,
                                 clock_type::time_point at = now) {
    hmac_source src(cfg);
    return src.verify(make_request(payload, std::move(headers)), "http://127.0.0.1:8080", at);
}

const boost::system::error_code ok{};
const boost::system::error_code bad = make_error_code(vrnum::verify_error::mismatch);
const boost::system::error_code missing = make_error_code(vrnum::verify_error::missing);
const boost::system::error_code stale = make_error_code(vrnum::verify_error::stale);

TEST(hmac_source, verifies_rfc4231_and_rfc2202_vectors) {
    constexpr std::string_view data = "what do ya want for nothing?";
    struct vec {
        const char* algorithm;
        const char* hex;
    };
    for (auto [algorithm, hex] :
         {vec{"sha1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
          vec{"sha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
          vec{"sha512",
              "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a"
              "6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"}}) {
        SCOPED_TRACE(algorithm);
        auto cfg = make_config({"Jefe"});
        cfg.algorithm = algorithm;
        EXPECT_EQ(verify(cfg, data, {{"X-Signature", hex}}), ok);
    }
}

TEST(hmac_source, verifies_vectors_from_openssl_cli) {
    // printf '%s' BODY | openssl dgst -sha256 -hmac demo-secret -binary | base64
    auto cfg = make_config();
    cfg.encoding = "base64";
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "Pcx+Ikoet3/PxGqSpJypy6k/Mk6lhWTQcJ6tU/o9PsM="}}),
              ok);
    // printf '1700000000.{"id":"m1"}' | openssl dgst -sha256 -hmac demo-secret
    auto ts = make_config();
    ts.timestamp_header = "X-Timestamp";
    EXPECT_EQ(verify(ts, R"({"id":"m1"})",
                     {{"X-Timestamp", "1700000000"},
                      {"X-Signature",
                       "3dff924e81d4d5d8d98cfdcfb0619d828cfd22c19b371d79b42aa7ce4d918422"}}),
              ok);
}

TEST(hmac_source, verifies_each_algorithm_and_encoding) {
    for (const char* algorithm : {"sha1", "sha256", "sha512"}) {
        for (const char* encoding : {"hex", "base64"}) {
            SCOPED_TRACE(std::string(algorithm) + "/" + encoding);
            auto cfg = make_config();
            cfg.algorithm = algorithm;
            cfg.encoding = encoding;
            auto digest = hmac(algorithm, "demo-secret", body);
            auto sig = cfg.encoding == "hex" ? to_hex(digest) : to_base64(digest);
            EXPECT_EQ(verify(cfg, body, {{"X-Signature", sig}}), ok);
            auto other =
                hmac(std::string(algorithm) == "sha1" ? "sha256" : "sha1", "demo-secret", body);
            EXPECT_EQ(
                verify(cfg, body,
                       {{"X-Signature",
                         encoding == std::string_view("hex") ? to_hex(other) : to_base64(other)}}),
                bad);
        }
    }
}

TEST(hmac_source, hex_is_case_insensitive) {
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    for (auto& c : sig) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", sig}}), ok);
}

TEST(hmac_source, header_name_is_case_insensitive_and_value_trimmed) {
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    EXPECT_EQ(verify(make_config(), body, {{"x-signature", " " + sig + " "}}), ok);
}

TEST(hmac_source, prefix_present_absent_wrong) {
    auto cfg = make_config();
    cfg.prefix = "sha256=";
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "sha256=" + sig}}), ok);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "SHA256=" + sig}}), ok);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", sig}}), bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "sha1=" + sig}}), bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "sha256="}}), bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "sha256"}}), bad);
    // Not configured: a prefix in the header is not skipped.
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", "sha256=" + sig}}), bad);
}

TEST(hmac_source, any_secret_verifies_for_rotation) {
    auto cfg = make_config({"old-secret", "new-secret"});
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", to_hex(hmac("sha256", "new-secret", body))}}), ok);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", to_hex(hmac("sha256", "old-secret", body))}}), ok);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", to_hex(hmac("sha256", "other", body))}}), bad);
}

TEST(hmac_source, rejects_tampered_body) {
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    std::string tampered(body);
    tampered[tampered.size() - 3] = 'H';
    EXPECT_EQ(verify(make_config(), tampered, {{"X-Signature", sig}}), bad);
    EXPECT_EQ(verify(make_config(), std::string(body) + " ", {{"X-Signature", sig}}), bad);
    EXPECT_EQ(verify(make_config(), "", {{"X-Signature", sig}}), bad);
}

TEST(hmac_source, rejects_tampered_signature) {
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    for (std::size_t i : {std::size_t{0}, sig.size() / 2, sig.size() - 1}) {
        auto t = sig;
        t[i] = t[i] == '0' ? '1' : '0';
        EXPECT_EQ(verify(make_config(), body, {{"X-Signature", t}}), bad) << i;
    }
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", sig.substr(2)}}), bad);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", sig + "00"}}), bad);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", sig.substr(1)}}), bad);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", "zz" + sig.substr(2)}}), bad);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", std::string(100000, 'a')}}), bad);
}

TEST(hmac_source, rejects_missing_or_empty_header) {
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    EXPECT_EQ(verify(make_config(), body, {}), missing);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", ""}}), missing);
    EXPECT_EQ(verify(make_config(), body, {{"X-Signature", "  "}}), missing);
    EXPECT_EQ(verify(make_config(), body, {{"X-Other", sig}}), missing);
    // Every reason is answered alike.
    for (auto ec : {missing, bad, stale}) {
        EXPECT_EQ(vrnum::to_http_status(ec), 401u);
        EXPECT_EQ(vrnum::to_wire_code(ec), "bad_signature");
    }
}

TEST(hmac_source, timestamp_window_both_ways) {
    auto cfg = make_config();
    cfg.timestamp_header = "X-Timestamp";
    cfg.tolerance_seconds = 300;
    auto check = [&](const std::string& ts, clock_type::time_point at) {
        auto sig = to_hex(hmac("sha256", "demo-secret", ts + "." + std::string(body)));
        return verify(cfg, body, {{"X-Timestamp", ts}, {"X-Signature", sig}}, at);
    };
    using std::chrono::seconds;
    EXPECT_EQ(check("1700000000", now), ok);
    EXPECT_EQ(check("1700000000", now + seconds(300)), ok);
    EXPECT_EQ(check("1700000000", now - seconds(300)), ok);
    EXPECT_EQ(check("1700000000", now + seconds(301)), stale);
    EXPECT_EQ(check("1700000000", now - seconds(301)), stale);  // from the future
    EXPECT_EQ(check("1699999699", now), stale);
    EXPECT_EQ(check("1700000301", now), stale);
}

TEST(hmac_source, timestamp_missing_or_garbage) {
    auto cfg = make_config();
    cfg.timestamp_header = "X-Timestamp";
    auto plain = to_hex(hmac("sha256", "demo-secret", body));
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", plain}}), missing);
    EXPECT_EQ(verify(cfg, body, {{"X-Timestamp", ""}, {"X-Signature", plain}}), missing);
    for (std::string ts : {"abc", "-1700000000", "+1700000000", "1700000000.5", "1.7e9",
                           "0x6553F100", "99999999999999999999999", "1700000000abc"}) {
        SCOPED_TRACE(ts);
        auto sig = to_hex(hmac("sha256", "demo-secret", ts + "." + std::string(body)));
        EXPECT_EQ(verify(cfg, body, {{"X-Timestamp", ts}, {"X-Signature", sig}}), bad);
    }
    // A signature over the body alone does not pass with a fresh timestamp.
    EXPECT_EQ(verify(cfg, body, {{"X-Timestamp", "1700000000"}, {"X-Signature", plain}}), bad);
    // Nor does a replay with a new timestamp on an old signature.
    auto old = to_hex(hmac("sha256", "demo-secret", "1699990000." + std::string(body)));
    EXPECT_EQ(verify(cfg, body, {{"X-Timestamp", "1700000000"}, {"X-Signature", old}}), bad);
}

TEST(hmac_source, base64_padding_and_alphabets) {
    auto cfg = make_config();
    cfg.encoding = "base64";
    auto sig = to_base64(hmac("sha256", "demo-secret", body));
    ASSERT_EQ(sig.back(), '=');
    auto unpadded = sig.substr(0, sig.find('='));
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", unpadded}}), ok);
    std::string url = sig;
    for (auto& c : url) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", url}}), ok);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", sig + "="}}), bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "=" + unpadded}}), bad);
    EXPECT_EQ(
        verify(cfg, body, {{"X-Signature", unpadded.substr(0, 10) + "!" + unpadded.substr(11)}}),
        bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", "not base64 at all"}}), bad);
    EXPECT_EQ(verify(cfg, body, {{"X-Signature", to_hex(hmac("sha256", "demo-secret", body))}}),
              bad);
    auto sha512 = make_config();
    sha512.encoding = "base64";
    sha512.algorithm = "sha512";
    auto sig512 = to_base64(hmac("sha512", "demo-secret", body));
    EXPECT_EQ(sig512.substr(sig512.size() - 2), "==");
    EXPECT_EQ(verify(sha512, body, {{"X-Signature", sig512.substr(0, sig512.size() - 2)}}), ok);
    EXPECT_EQ(verify(sha512, body, {{"X-Signature", sig512.substr(0, sig512.size() - 1)}}), bad);
}

TEST(hmac_source, decoders) {
    EXPECT_EQ(decode_hex("00ffAa"), std::string("\x00\xff\xaa", 3));
    EXPECT_EQ(decode_hex(""), std::string());
    EXPECT_FALSE(decode_hex("abc"));
    EXPECT_FALSE(decode_hex("gg"));
    EXPECT_FALSE(decode_hex(" a"));
    EXPECT_EQ(decode_base64("TWFu"), "Man");
    EXPECT_EQ(decode_base64("TWE="), "Ma");
    EXPECT_EQ(decode_base64("TWE"), "Ma");
    EXPECT_EQ(decode_base64("TQ=="), "M");
    EXPECT_EQ(decode_base64("TQ"), "M");
    EXPECT_EQ(decode_base64(""), "");
    EXPECT_EQ(decode_base64("-_-_"), decode_base64("+/+/"));
    EXPECT_FALSE(decode_base64("T"));
    EXPECT_FALSE(decode_base64("TQ="));
    EXPECT_FALSE(decode_base64("TQ==="));
    EXPECT_FALSE(decode_base64("T=Q="));
    EXPECT_FALSE(decode_base64("TW E"));
    EXPECT_FALSE(decode_base64("TWE=TWE="));
    EXPECT_FALSE(decode_base64(std::string("TW\0=", 4)));
}

TEST(hmac_source, rejects_bad_configuration) {
    auto none = make_config({});
    EXPECT_THROW(hmac_source{none}, std::invalid_argument);
    auto empty_secret = make_config({"a", ""});
    EXPECT_THROW(hmac_source{empty_secret}, std::invalid_argument);
    auto no_header = make_config();
    no_header.header.clear();
    EXPECT_THROW(hmac_source{no_header}, std::invalid_argument);
    auto md5 = make_config();
    md5.algorithm = "md5";
    EXPECT_THROW(hmac_source{md5}, std::invalid_argument);
    auto b32 = make_config();
    b32.encoding = "base32";
    EXPECT_THROW(hmac_source{b32}, std::invalid_argument);
    for (std::string pointer : {"", "text", "/a~2b", "/a~"}) {
        auto cfg = make_config();
        cfg.fields.text = pointer;
        EXPECT_THROW(hmac_source{cfg}, std::invalid_argument) << pointer;
        cfg = make_config();
        cfg.fields.sent_at = pointer;
        if (pointer.empty()) {
            EXPECT_NO_THROW(hmac_source{cfg});
        } else {
            EXPECT_THROW(hmac_source{cfg}, std::invalid_argument) << pointer;
        }
    }
}

TEST(make_source, builds_each_kind) {
    auto src = vrnum::make_source(make_config());
    ASSERT_NE(src, nullptr);
    EXPECT_EQ(src->id(), "ys");
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    EXPECT_EQ(src->verify(make_request(body, {{"X-Signature", sig}}), "", now), ok);
    auto of_kind = [](vrnum::source_kind kind) {
        auto cfg = make_config();
        cfg.kind = kind;
        if (kind == vrnum::source_kind::telnyx) {
            cfg.secrets.clear();
            cfg.public_keys = {"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="};
        } else if (kind == vrnum::source_kind::standard_webhooks) {
            cfg.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
        }
        return vrnum::make_source(cfg);
    };
    using vrnum::source_kind;
    EXPECT_NE(dynamic_cast<vrnum::detail::twilio_source*>(of_kind(source_kind::twilio).get()),
              nullptr);
    EXPECT_NE(dynamic_cast<vrnum::detail::telnyx_source*>(of_kind(source_kind::telnyx).get()),
              nullptr);
    EXPECT_NE(dynamic_cast<vrnum::detail::vonage_source*>(of_kind(source_kind::vonage).get()),
              nullptr);
    EXPECT_NE(dynamic_cast<vrnum::detail::plivo_source*>(of_kind(source_kind::plivo).get()),
              nullptr);
    EXPECT_NE(dynamic_cast<vrnum::detail::standard_webhooks_source*>(
                  of_kind(source_kind::standard_webhooks).get()),
              nullptr);
    // Only Vonage's SMS API may use GET.
    EXPECT_EQ(of_kind(source_kind::vonage)->methods(), (std::vector<std::string>{"POST", "GET"}));
    EXPECT_EQ(of_kind(source_kind::plivo)->methods(), (std::vector<std::string>{"POST"}));
}

vrnum::result<vrnum::parsed_request> parse(std::string_view payload,
                                           const source_config& cfg = make_config()) {
    hmac_source src(cfg);
    return src.parse(make_request(payload, {}), now);
}

const boost::system::error_code malformed = make_error_code(errc::malformed);

TEST(hmac_parse, reads_all_fields) {
    auto cfg = make_config();
    cfg.fields = {"/id", "/sender", "/recipient", "/message", "/sent_at"};
    auto r = parse(
        R"({"id":"abc-1","sender":"447700900001","recipient":"+372 555 00001",)"
        R"("message":"Код 1234 👋 مرحبا \"quoted\"\nline2 \u00e9\u0000end","sent_at":1699999999})",
        cfg);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_EQ(r->messages.size(), 1u);
    const auto& m = r->messages[0];
    EXPECT_EQ(m.source, "ys");
    EXPECT_EQ(m.provider_id, "abc-1");
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.to, "+37255500001");
    constexpr char text[] = "Код 1234 👋 مرحبا \"quoted\"\nline2 é\0end";
    EXPECT_EQ(m.text, std::string(text, sizeof text - 1));
    EXPECT_EQ(m.sent_at, 1699999999000);
    EXPECT_EQ(m.received_at, 1700000000000);
}

TEST(hmac_parse, keeps_alphanumeric_senders_and_short_codes) {
    auto r = parse(R"({"id":"1","from":"Google","to":"+37255500001","text":""})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].from, "Google");
    EXPECT_EQ(r->messages[0].text, "");
    EXPECT_FALSE(r->messages[0].sent_at);
    r = parse(R"({"id":"1","from":"12345","to":"37255500001","text":"x"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].from, "12345");
    EXPECT_EQ(r->messages[0].to, "+37255500001");
}

TEST(hmac_parse, follows_nested_pointers) {
    auto cfg = make_config();
    cfg.fields = {"/data/payload/id", "/data/payload/from/phone_number",
                  "/data/payload/to/0/phone_number", "/data/payload/text", "/meta/a~1b"};
    auto r =
        parse(R"({"data":{"event_type":"message.received","payload":{"id":"x-9",)"
              R"("from":{"phone_number":"+15550100000"},"to":[{"phone_number":"+37255500001"}],)"
              R"("text":"nested"}},"meta":{"a/b":"2023-11-14T22:13:20.5+01:00"}})",
              cfg);
    ASSERT_TRUE(r) << r.error().message();
    const auto& m = r->messages[0];
    EXPECT_EQ(m.provider_id, "x-9");
    EXPECT_EQ(m.from, "+15550100000");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "nested");
    EXPECT_EQ(m.sent_at, 1700000000000 - 3600000 + 500);
}

TEST(hmac_parse, numeric_ids) {
    auto r = parse(R"({"id":12345678901234,"from":"a","to":"b","text":"c"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].provider_id, "12345678901234");
    r = parse(R"({"id":18446744073709551615,"from":"a","to":"b","text":"c"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].provider_id, "18446744073709551615");
    r = parse(R"({"id":-7,"from":"a","to":"b","text":"c"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].provider_id, "-7");
    EXPECT_EQ(parse(R"({"id":1.5,"from":"a","to":"b","text":"c"})").error(), malformed);
    EXPECT_EQ(parse(R"({"id":1e3,"from":"a","to":"b","text":"c"})").error(), malformed);
    EXPECT_EQ(parse(R"({"id":true,"from":"a","to":"b","text":"c"})").error(), malformed);
}

TEST(hmac_parse, sent_at_forms) {
    auto cfg = make_config();
    cfg.fields.sent_at = "/t";
    auto sent_at = [&](std::string_view value) -> std::optional<vrnum::unix_ms> {
        auto r = parse(
            R"({"id":"1","from":"a","to":"b","text":"c","t":)" + std::string(value) + "}", cfg);
        EXPECT_TRUE(r) << value;
        return r ? r->messages[0].sent_at : std::nullopt;
    };
    EXPECT_EQ(sent_at("1700000000"), 1700000000000);
    EXPECT_EQ(sent_at("1700000000123"), 1700000000123);
    EXPECT_EQ(sent_at("1700000000.25"), 1700000000250);
    EXPECT_EQ(sent_at(R"("2023-11-14T22:13:20Z")"), 1700000000000);
    EXPECT_EQ(sent_at(R"("2023-11-14T22:13:20.123Z")"), 1700000000123);
    EXPECT_EQ(sent_at("null"), std::nullopt);
    auto absent = parse(R"({"id":"1","from":"a","to":"b","text":"c"})", cfg);
    ASSERT_TRUE(absent);
    EXPECT_FALSE(absent->messages[0].sent_at);
    for (std::string bad : {"true", "{}", "[]", "-5", "1e300", R"("yesterday")", R"("2023-11-14")",
                            R"("1700000000")"}) {
        SCOPED_TRACE(bad);
        EXPECT_EQ(
            parse(R"({"id":"1","from":"a","to":"b","text":"c","t":)" + bad + "}", cfg).error(),
            malformed);
    }
}

TEST(hmac_parse, missing_required_field_is_malformed) {
    const std::vector<std::string> bodies = {
        R"({"from":"a","to":"b","text":"c"})", R"({"id":"1","to":"b","text":"c"})",
        R"({"id":"1","from":"a","text":"c"})", R"({"id":"1","from":"a","to":"b"})"};
    for (const auto& b : bodies) {
        EXPECT_EQ(parse(b).error(), malformed) << b;
    }
    auto cfg = make_config();
    cfg.fields.text = "/data/payload/text";
    EXPECT_EQ(parse(R"({"id":"1","from":"a","to":"b","data":{"payload":"text"}})", cfg).error(),
              malformed);
    EXPECT_EQ(parse(R"({"id":"1","from":"a","to":"b","data":[]})", cfg).error(), malformed);
}

TEST(hmac_parse, wrong_types_and_empty_keys_are_malformed) {
    for (std::string b : {R"({"id":"1","from":"a","to":"b","text":5})",
                          R"({"id":"1","from":{},"to":"b","text":"c"})",
                          R"({"id":"1","from":"a","to":["b"],"text":"c"})",
                          R"({"id":"1","from":"a","to":"b","text":null})",
                          R"({"id":null,"from":"a","to":"b","text":"c"})",
                          R"({"id":"","from":"a","to":"b","text":"c"})",
                          R"({"id":"1","from":"a","to":"","text":"c"})",
                          R"({"id":"1","from":"a","to":"  ","text":"c"})"}) {
        EXPECT_EQ(parse(b).error(), malformed) << b;
    }
}

TEST(hmac_parse, invalid_utf8_is_malformed) {
    for (std::string b :
         {std::string(R"({"id":"1","from":"a","to":"b","text":")") + "\xff\"}",
          std::string(R"({"id":"1","from":"a","to":"b","text":")") + "\xc0\xaf\"}",
          std::string(R"({"id":"1","from":"a","to":"b","text":")") + "\xed\xa0\x80\"}",
          std::string(R"({"id":"1","from":"a","to":"b","text":"x","z":")") + "\xf4\x90\x80\x80\"}",
          std::string(R"({"id":"1","from":"a","to":"b","text":"\ud800"})"),
          std::string(R"({"id":"1","from":"a","to":"b","text":"\udc00x"})"),
          std::string(R"({"id":"1","from":"\ud83d","to":"b","text":"c"})")}) {
        EXPECT_EQ(parse(b).error(), malformed) << b;
    }
    auto r = parse(R"({"id":"1","from":"a","to":"b","text":"\ud83d\ude00"})");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].text, "😀");
}

TEST(hmac_parse, not_an_object_or_not_json_is_malformed) {
    for (std::string b : {"", " ", "null", "[]", R"("text")", "42",
                          R"([{"id":"1","from":"a","to":"b","text":"c"}])",
                          R"({"id":"1","from":"a","to":"b","text":"c"} x)",
                          R"({"id":"1","from":"a","to":"b","text":"c")", R"({"id":"1",})",
                          "id=1&from=a&to=b&text=c", R"({'id':'1'})"}) {
        EXPECT_EQ(parse(b).error(), malformed) << b;
    }
}

TEST(hmac_parse, hostile_inputs_do_not_crash) {
    EXPECT_EQ(parse(std::string(100000, '[')).error(), malformed);
    EXPECT_EQ(parse(std::string(100000, '{')).error(), malformed);
    std::string deep = R"({"id":"1","from":"a","to":"b","text":"c","x":)";
    deep += std::string(5000, '[') + std::string(5000, ']') + "}";
    EXPECT_EQ(parse(deep).error(), malformed);  // past simdjson's depth limit
    std::string many = "{";
    for (int i = 0; i < 20000; ++i) {
        many += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    }
    many += R"("id":"1","from":"a","to":"b","text":")" + std::string(500000, 'z') + "\"}";
    auto r = parse(many);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].text.size(), 500000u);
    // The parser is reused by the thread: a small body after a huge one still parses.
    EXPECT_TRUE(parse(R"({"id":"1","from":"a","to":"b","text":"c"})"));
}

TEST(hmac_parse, verify_then_parse_roundtrip) {
    hmac_source src(make_config());
    auto sig = to_hex(hmac("sha256", "demo-secret", body));
    auto req = make_request(body, {{"X-Signature", sig}});
    ASSERT_EQ(src.verify(req, "", now), ok);
    auto r = src.parse(req, now);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->messages[0].provider_id, "m1");
    EXPECT_EQ(r->messages[0].text, "hi");
}

TEST(hmac_source, demo_request_verifies_and_parses_back) {
    for (std::string encoding : {"hex", "base64"}) {
        auto cfg = make_config({"first", "second"});
        cfg.encoding = encoding;
        cfg.prefix = "sha256=";
        cfg.timestamp_header = "X-Timestamp";
        cfg.fields = {"/data/id", "/data/from", "/data/to", "/data/payload/text", ""};
        hmac_source src(cfg);
        vrnum::message m;
        m.provider_id = "demo-1";
        m.from = "+447700900001";
        m.to = "+37255500001";
        m.text = "Код \"1\"\n\xF0\x9F\x94\x90";
        auto out = src.demo_request(m, "", now);
        ASSERT_TRUE(out);
        EXPECT_EQ(out->target, "/webhooks/ys");
        request_view req = make_request(out->body, {});
        for (const auto& [n, v] : out->headers) {
            req.headers.emplace_back(n, v);
        }
        EXPECT_EQ(src.verify(req, "", now), ok) << encoding;
        // The signature is made with the first secret: a source with only it verifies too.
        auto first_only = cfg;
        first_only.secrets = {"first"};
        EXPECT_EQ(hmac_source(first_only).verify(req, "", now), ok);
        auto parsed = src.parse(req, now);
        ASSERT_TRUE(parsed.has_value());
        ASSERT_EQ(parsed->messages.size(), 1u);
        EXPECT_EQ(parsed->messages[0].text, m.text);
        EXPECT_EQ(parsed->messages[0].provider_id, "demo-1");
        EXPECT_EQ(parsed->messages[0].from, m.from);
    }
}

}  // namespace
