#include "sources/standard_webhooks_source.hpp"

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
using vrnum::detail::standard_webhooks_source;
namespace t = vrnum::test;
using clock_type = std::chrono::system_clock;

// The vector every Standard Webhooks library tests with.
constexpr std::string_view lib_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view lib_id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::string_view lib_ts = "1614265330";
constexpr std::string_view lib_body = R"({"test": 2432232314})";
constexpr std::string_view lib_sig = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
const clock_type::time_point lib_now{std::chrono::seconds(1614265330)};

source_config config(std::vector<std::string> secrets, std::vector<std::string> keys = {}) {
    source_config cfg;
    cfg.id = "sw";
    cfg.kind = vrnum::source_kind::standard_webhooks;
    cfg.secrets = std::move(secrets);
    cfg.public_keys = std::move(keys);
    return cfg;
}

request_view with_headers(std::string_view id, std::string_view ts, std::string_view sig,
                          std::string_view body, std::string_view prefix = "webhook-") {
    static thread_local std::vector<std::string> names;
    names = {std::string(prefix) + "id", std::string(prefix) + "timestamp",
             std::string(prefix) + "signature"};
    return {"POST", "/webhooks/sw", {{names[0], id}, {names[1], ts}, {names[2], sig}}, body};
}

TEST(StandardWebhooksSource, LibraryVectorVerifies) {
    standard_webhooks_source src(config({std::string(lib_secret)}));
    EXPECT_FALSE(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "", lib_now));
    // Svix's header names carry the same scheme.
    EXPECT_FALSE(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body, "svix-"), "", lib_now));
}

TEST(StandardWebhooksSource, ListsUnknownVersionsAndRotation) {
    standard_webhooks_source src(
        config({"whsec_" + t::base64("older-key"), std::string(lib_secret)}));
    std::string list = "v2,abc v1,Zm9vYmFy  v1,notbase64! " + std::string(lib_sig) + " v9,x";
    EXPECT_FALSE(src.verify(with_headers(lib_id, lib_ts, list, lib_body), "", lib_now));
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, "v2,abc v1,Zm9vYmFy", lib_body), "", lib_now),
              verify_error::mismatch);
}

TEST(StandardWebhooksSource, RefusesTamperingWrongKeysMissingHeadersAndStaleTimes) {
    standard_webhooks_source src(config({std::string(lib_secret)}));
    EXPECT_EQ(
        src.verify(with_headers(lib_id, lib_ts, lib_sig, R"({"test": 2432232315})"), "", lib_now),
        verify_error::mismatch);
    EXPECT_EQ(src.verify(with_headers("msg_other", lib_ts, lib_sig, lib_body), "", lib_now),
              verify_error::mismatch);
    standard_webhooks_source other(config({"whsec_" + t::base64("another-key")}));
    EXPECT_EQ(other.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "", lib_now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(with_headers("", lib_ts, lib_sig, lib_body), "", lib_now),
              verify_error::missing);
    EXPECT_EQ(src.verify(with_headers(lib_id, "", lib_sig, lib_body), "", lib_now),
              verify_error::missing);
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, "", lib_body), "", lib_now),
              verify_error::missing);
    // 300 s either way is inside (as the libraries have it); one more is not.
    EXPECT_FALSE(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "",
                            lib_now + std::chrono::seconds(300)));
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "",
                         lib_now + std::chrono::seconds(301)),
              verify_error::stale);
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "",
                         lib_now - std::chrono::seconds(301)),
              verify_error::stale);
    EXPECT_EQ(src.verify(with_headers(lib_id, "16142653x0", lib_sig, lib_body), "", lib_now),
              verify_error::mismatch);
}

TEST(StandardWebhooksSource, Ed25519EntriesVerifyWithWhpkKeys) {
    t::ed25519_signer signer;
    t::ed25519_signer stranger;
    standard_webhooks_source src(config({}, {"whpk_" + t::base64(signer.public_raw())}));
    std::string content =
        std::string(lib_id) + "." + std::string(lib_ts) + "." + std::string(lib_body);
    std::string good = "v1a," + t::base64(signer.sign(content));
    EXPECT_FALSE(src.verify(with_headers(lib_id, lib_ts, good, lib_body), "", lib_now));
    EXPECT_FALSE(src.verify(
        with_headers(lib_id, lib_ts, std::string(lib_sig) + " " + good, lib_body), "", lib_now));
    std::string forged = "v1a," + t::base64(stranger.sign(content));
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, forged, lib_body), "", lib_now),
              verify_error::mismatch);
    // An HMAC entry means nothing to a source with only public keys.
    EXPECT_EQ(src.verify(with_headers(lib_id, lib_ts, lib_sig, lib_body), "", lib_now),
              verify_error::mismatch);
}

TEST(StandardWebhooksSource, ParsesFieldsAndKeysOnWebhookId) {
    standard_webhooks_source src(config({std::string(lib_secret)}));
    std::string body =
        R"({"from":"447700900001","to":"+37255500001","text":"\u0645\u0631\u062d\u0628\u0627 \"hi\"\n"})";
    auto parsed = src.parse(with_headers(lib_id, lib_ts, lib_sig, body), lib_now);
    ASSERT_TRUE(parsed);
    const auto& m = parsed->messages.at(0);
    EXPECT_EQ(m.provider_id, lib_id);
    EXPECT_EQ(m.from, "+447700900001");
    EXPECT_EQ(m.text, "\xD9\x85\xD8\xB1\xD8\xAD\xD8\xA8\xD8\xA7 \"hi\"\n");
    for (std::string_view bad : {R"({"from":"a","to":"","text":"x"})", R"({"from":"a","text":"x"})",
                                 "[]", R"({"from":"a","to":"b","text":"\ud800"})", "{"}) {
        SCOPED_TRACE(bad);
        auto r = src.parse(with_headers(lib_id, lib_ts, lib_sig, bad), lib_now);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), errc::malformed);
    }
}

TEST(StandardWebhooksSource, RefusesBadKeys) {
    EXPECT_THROW(standard_webhooks_source(config({"MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"})),
                 std::invalid_argument);
    EXPECT_THROW(standard_webhooks_source(config({}, {"whpk_" + t::base64("short")})),
                 std::invalid_argument);
    EXPECT_THROW(standard_webhooks_source(config({})), std::invalid_argument);
}

TEST(StandardWebhooksSource, DemoRequestVerifiesAndParses) {
    standard_webhooks_source src(config({std::string(lib_secret)}));
    vrnum::message m{"", "0001", "+447700900001", "+37255500001", "code 123456", {}, 0};
    auto out = src.demo_request(m, "", lib_now);
    ASSERT_TRUE(out);
    std::vector<vrnum::header_field> headers(out->headers.begin(), out->headers.end());
    request_view req{"POST", out->target, headers, out->body};
    EXPECT_FALSE(src.verify(req, "", lib_now));
    auto parsed = src.parse(req, lib_now);
    ASSERT_TRUE(parsed);
    EXPECT_EQ(parsed->messages.at(0).text, "code 123456");
}

}  // namespace
