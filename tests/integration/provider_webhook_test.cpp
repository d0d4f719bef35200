// The provider kinds end to end over loopback: each provider's signed webhook is answered as
// it expects (TwiML for Twilio, an empty 200 for the others) after its commit, a retry is
// stored once, a forgery leaves nothing, Telnyx events without an SMS are acknowledged and
// not stored, a Plivo nonce is not accepted twice, and Vonage's SMS API may also use GET.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <vrnum/gateway.hpp>
#include <vrnum/source.hpp>

#include "support/gateway_fixture.hpp"
#include "support/http_client.hpp"
#include "support/signing.hpp"

namespace {

namespace t = vrnum::test;
using vrnum::test::request;
using vrnum::test::running_gateway;

constexpr std::string_view public_base = "https://sms.example.com";

struct provider_gateway {
    t::ed25519_signer telnyx;
    vrnum::config cfg = make_config();
    running_gateway g{cfg};

    vrnum::config make_config() {
        auto c = t::test_config();
        c.server.public_base_url = std::string(public_base);
        auto add = [&c](std::string id, vrnum::source_kind kind, std::vector<std::string> secrets,
                        std::vector<std::string> keys = {}) {
            vrnum::source_config s;
            s.id = std::move(id);
            s.kind = kind;
            s.secrets = std::move(secrets);
            s.public_keys = std::move(keys);
            c.sources.push_back(std::move(s));
        };
        add("tw", vrnum::source_kind::twilio, {"old-token", "twilio-token"});
        add("pl", vrnum::source_kind::plivo, {"plivo-token"});
        add("sw", vrnum::source_kind::standard_webhooks, {"whsec_" + t::base64("sw-secret-bytes")});
        add("tx", vrnum::source_kind::telnyx, {}, {t::base64(telnyx.public_raw())});
        add("vn", vrnum::source_kind::vonage, {"vonage-secret"});
        c.sources.back().signature_method = "sha256hmac";
        return c;
    }

    const vrnum::source_config& source(std::string_view id) const {
        for (const auto& s : cfg.sources) {
            if (s.id == id) {
                return s;
            }
        }
        throw std::logic_error("no source " + std::string(id));
    }

    // What the provider would post for `m` (the kind's demo request, as `vrnumd simulate`).
    vrnum::outgoing_request demo(std::string_view id, const vrnum::message& m) const {
        auto src = vrnum::make_source(source(id));
        auto r = src->demo_request(m, public_base, std::chrono::system_clock::now());
        if (!r) {
            throw std::logic_error("no demo for " + std::string(id));
        }
        return *r;
    }

    std::optional<t::http_answer> post(const vrnum::outgoing_request& r) const {
        return request(g.address(), r.method, r.target, r.body,
                       {r.headers.begin(), r.headers.end()});
    }

    std::size_t stored() { return g.gw().messages_after(0, 1000).size(); }
};

vrnum::message sms(std::string id, std::string text = "Your code is 424242") {
    return {"", std::move(id), "+447700900001", "+37255500001", std::move(text), {}, 0};
}

TEST(provider_webhook, twilio_gets_twiml_after_commit_and_retries_store_once) {
    provider_gateway p;
    auto r = p.demo("tw", sms("SM00000000000000000000000000000001", "Код: 1234 👋"));
    for (int i = 0; i < 3; ++i) {
        auto a = p.post(r);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->header("Content-Type"), "text/xml");
        EXPECT_EQ(a->body, R"(<?xml version="1.0" encoding="UTF-8"?><Response></Response>)");
    }
    auto stored = p.g.gw().messages_after(0, 10);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].text, "Код: 1234 👋");
    EXPECT_EQ(stored[0].source, "tw");

    auto forged = r;
    forged.body += "&Extra=1";
    auto a = p.post(forged);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 401u);
    auto get = request(p.g.address(), "GET", "/webhooks/tw");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 405u);
    EXPECT_EQ(p.stored(), 1u);
}

TEST(provider_webhook, standard_webhooks_keys_on_webhook_id) {
    provider_gateway p;
    auto r = p.demo("sw", sms("a1"));
    for (int i = 0; i < 2; ++i) {
        auto a = p.post(r);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->body, "");
    }
    auto stored = p.g.gw().messages_after(0, 10);
    ASSERT_EQ(stored.size(), 1u);
    EXPECT_EQ(stored[0].provider_id, "msg_a1");
    auto missing = r;
    missing.headers.erase(missing.headers.begin() + 1);  // webhook-id
    auto a = p.post(missing);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 401u);
}

TEST(provider_webhook, telnyx_stores_received_messages_only) {
    provider_gateway p;
    auto ts = std::to_string(std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count());
    auto event = [&](std::string type, std::string id) {
        std::string body =
            R"({"data":{"event_type":")" + type +
            R"(","occurred_at":"2026-11-25T10:00:00.000+00:00","payload":{"id":")" + id +
            R"(","text":"hi","from":{"phone_number":"+13125550001"},"to":[{"phone_number":"+37255500001"}]}}})";
        vrnum::outgoing_request r;
        r.target = "/webhooks/tx";
        r.body = body;
        r.headers = {{"Content-Type", "application/json"},
                     {"telnyx-timestamp", ts},
                     {"telnyx-signature-ed25519", t::base64(p.telnyx.sign(ts + "|" + body))}};
        return r;
    };
    auto delivered = p.post(event("message.finalized", "out-1"));
    ASSERT_TRUE(delivered);
    EXPECT_EQ(delivered->status, 200u);
    EXPECT_EQ(p.stored(), 0u);
    auto received = event("message.received", "in-1");
    for (int i = 0; i < 2; ++i) {
        auto a = p.post(received);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
    }
    EXPECT_EQ(p.stored(), 1u);
    auto stale = received;
    stale.headers[1].second = "1600000000";
    auto a = p.post(stale);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 401u);
}

TEST(provider_webhook, plivo_nonce_is_refused_once_accepted) {
    provider_gateway p;
    auto r = p.demo("pl", sms("0936ec98-7c4c-11e4-9bd8-22000afa12b9"));
    auto first = p.post(r);
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200u);
    auto replay = p.post(r);
    ASSERT_TRUE(replay);
    EXPECT_EQ(replay->status, 401u);
    EXPECT_NE(replay->body.find("bad_signature"), std::string::npos);
    // Plivo's own retry comes with a new nonce: answered alike, stored once.
    auto retry = p.demo("pl", sms("0936ec98-7c4c-11e4-9bd8-22000afa12b9"));
    auto again = p.post(retry);
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200u);
    EXPECT_EQ(p.stored(), 1u);
}

TEST(provider_webhook, vonage_takes_post_and_get) {
    provider_gateway p;
    auto r = p.demo("vn", sms("0A0000000000000001", "Код 1234"));
    for (int i = 0; i < 2; ++i) {
        auto a = p.post(r);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->body, "");
    }
    // The same kind of webhook configured as GET: the parameters in the query.
    auto g = p.demo("vn", sms("0A0000000000000002", "second"));
    auto get = request(p.g.address(), "GET", g.target + "?" + g.body);
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 200u);
    auto stored = p.g.gw().messages_after(0, 10);
    ASSERT_EQ(stored.size(), 2u);
    EXPECT_EQ(stored[0].text, "Код 1234");
    EXPECT_EQ(stored[0].from, "+447700900001");
    EXPECT_EQ(stored[1].provider_id, "0A0000000000000002");

    auto forged = request(p.g.address(), "GET", g.target + "?" + g.body + "&extra=1");
    ASSERT_TRUE(forged);
    EXPECT_EQ(forged->status, 401u);
    auto put = request(p.g.address(), "PUT", "/webhooks/vn", r.body);
    ASSERT_TRUE(put);
    EXPECT_EQ(put->status, 405u);
    EXPECT_NE(put->header("Allow").find("GET"), std::string_view::npos);
    EXPECT_EQ(p.stored(), 2u);
}

}  // namespace
