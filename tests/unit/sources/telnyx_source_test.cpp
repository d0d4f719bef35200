#include "sources/telnyx_source.hpp"

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
using vrnum::detail::telnyx_source;
namespace t = vrnum::test;

const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};
constexpr std::string_view ts = "1700000000";

// The shape of Telnyx's documented inbound-message webhook.
constexpr std::string_view inbound = R"({
  "data": {
    "event_type": "message.received",
    "id": "b301ed3f-1490-491f-995f-6e64e69674d4",
    "occurred_at": "2023-11-14T22:13:19.000+00:00",
    "payload": {
      "direction": "inbound",
      "from": {"carrier": "T-Mobile USA", "line_type": "long_code", "phone_number": "+13125550001"},
      "id": "84cca175-9755-4859-b67f-4730d7f58aa3",
      "media": [],
      "messaging_profile_id": "740572b6-099c-44a1-89b9-6c92163bc68d",
      "text": "Привет 👋\n\"quoted\"",
      "to": [{"carrier": "Telnyx", "line_type": "Wireless", "phone_number": "+37255500001", "status": "webhook_delivered"}],
      "type": "SMS"
    },
    "record_type": "event"
  },
  "meta": {"attempt": 1, "delivered_to": "https://example.com/webhooks"}
})";

source_config config(std::vector<std::string> keys) {
    source_config cfg;
    cfg.id = "tx";
    cfg.kind = vrnum::source_kind::telnyx;
    cfg.public_keys = std::move(keys);
    return cfg;
}

request_view signed_request(std::string_view sig, std::string_view stamp, std::string_view body) {
    return {"POST",
            "/webhooks/tx",
            {{"Content-Type", "application/json"},
             {"telnyx-signature-ed25519", sig},
             {"telnyx-timestamp", stamp}},
            body};
}

class TelnyxSource : public ::testing::Test {
  protected:
    t::ed25519_signer telnyx;
    t::ed25519_signer stranger;
    std::string sign(std::string_view stamp, std::string_view body) const {
        return t::base64(telnyx.sign(std::string(stamp) + "|" + std::string(body)));
    }
};

TEST_F(TelnyxSource, VerifiesTheSignedTimestampAndBody) {
    telnyx_source src(config({t::base64(telnyx.public_raw())}));
    auto sig = sign(ts, inbound);
    EXPECT_FALSE(src.verify(signed_request(sig, ts, inbound), "", now));
    std::string tampered(inbound);
    tampered.replace(tampered.find("+13125550001"), 12, "+13125550002");
    EXPECT_EQ(src.verify(signed_request(sig, ts, tampered), "", now), verify_error::mismatch);
    EXPECT_EQ(src.verify(signed_request(sig, "1700000001", inbound), "", now),
              verify_error::mismatch);
    EXPECT_EQ(src.verify(signed_request("", ts, inbound), "", now), verify_error::missing);
    EXPECT_EQ(src.verify(signed_request(sig, "", inbound), "", now), verify_error::missing);
    EXPECT_EQ(src.verify(signed_request("bm90IGEgc2lnbmF0dXJl", ts, inbound), "", now),
              verify_error::mismatch);
}

TEST_F(TelnyxSource, RefusesAStrangersKeyAndStaleTimes) {
    telnyx_source src(config({t::base64(stranger.public_raw())}));
    EXPECT_EQ(src.verify(signed_request(sign(ts, inbound), ts, inbound), "", now),
              verify_error::mismatch);
    telnyx_source right(config({t::base64(telnyx.public_raw())}));
    std::string old = "1699999699";  // 301 s before now
    EXPECT_EQ(right.verify(signed_request(sign(old, inbound), old, inbound), "", now),
              verify_error::stale);
    std::string future = "1700000301";
    EXPECT_EQ(right.verify(signed_request(sign(future, inbound), future, inbound), "", now),
              verify_error::stale);
    std::string edge = "1699999700";
    EXPECT_FALSE(right.verify(signed_request(sign(edge, inbound), edge, inbound), "", now));
}

TEST_F(TelnyxSource, AnyKeyOfTheListVerifies) {
    telnyx_source src(config({t::base64(stranger.public_raw()), t::base64(telnyx.public_raw())}));
    EXPECT_FALSE(src.verify(signed_request(sign(ts, inbound), ts, inbound), "", now));
}

TEST_F(TelnyxSource, ParsesMessageReceived) {
    telnyx_source src(config({t::base64(telnyx.public_raw())}));
    auto parsed = src.parse(signed_request("", ts, inbound), now);
    ASSERT_TRUE(parsed);
    ASSERT_EQ(parsed->messages.size(), 1u);
    const auto& m = parsed->messages[0];
    EXPECT_EQ(m.provider_id, "84cca175-9755-4859-b67f-4730d7f58aa3");
    EXPECT_EQ(m.from, "+13125550001");
    EXPECT_EQ(m.to, "+37255500001");
    EXPECT_EQ(m.text, "Привет 👋\n\"quoted\"");
    EXPECT_EQ(m.sent_at, 1699999999000);
}

TEST_F(TelnyxSource, OtherEventsCarryNothingToStore) {
    telnyx_source src(config({t::base64(telnyx.public_raw())}));
    std::string sent(inbound);
    sent.replace(sent.find("message.received"), 16, "message.finalized");
    auto parsed = src.parse(signed_request("", ts, sent), now);
    ASSERT_TRUE(parsed);
    EXPECT_TRUE(parsed->messages.empty());
}

TEST_F(TelnyxSource, HostileBodiesAreMalformed) {
    telnyx_source src(config({t::base64(telnyx.public_raw())}));
    for (
        std::string_view bad :
        {"", "{}", R"({"data":{}})", R"({"data":{"event_type":7}})",
         R"({"data":{"event_type":"message.received","payload":{}}})",
         R"({"data":{"event_type":"message.received","payload":{"id":"x","text":"t","from":{"phone_number":"+1"},"to":[]}}})",
         R"({"data":{"event_type":"message.received","payload":{"id":"x","text":"\udc00","from":{"phone_number":"+1"},"to":[{"phone_number":"+2"}]}}})"}) {
        SCOPED_TRACE(bad);
        auto r = src.parse(signed_request("", ts, bad), now);
        ASSERT_FALSE(r);
        EXPECT_EQ(r.error(), errc::malformed);
    }
}

TEST(TelnyxConfig, RefusesKeysThatAreNotEd25519) {
    EXPECT_THROW(telnyx_source(config({"c2hvcnQ="})), std::invalid_argument);
    EXPECT_THROW(telnyx_source(config({})), std::invalid_argument);
}

}  // namespace
