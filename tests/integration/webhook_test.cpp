// A provider's webhook end to end over loopback with the generic hmac source: the answer
// comes after the commit, refusals leave nothing behind, retries store once.

#include <atomic>
#include <future>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/gateway.hpp>
#include <vrnum/store.hpp>
#include <vrnum/time.hpp>

#include "support/gateway_fixture.hpp"
#include "support/http_client.hpp"
#include "support/signing.hpp"

namespace {

using vrnum::test::hmac_sha256_hex;
using vrnum::test::http_connection;
using vrnum::test::request;
using vrnum::test::running_gateway;
using vrnum::test::test_config;

const std::string secret = "webhook-test-secret";

vrnum::config hmac_config() {
    auto cfg = test_config();
    vrnum::source_config s;
    s.id = "ys";
    s.kind = vrnum::source_kind::hmac;
    s.secrets = {secret};
    s.header = "X-Signature";
    s.fields = {"/id", "/sender", "/recipient", "/message", ""};
    cfg.sources.push_back(s);
    return cfg;
}

std::string body_for(const std::string& id, const std::string& text = "Your code is 123456") {
    return R"({"id":")" + id +
           R"(","sender":"447700900001","recipient":"+37255500001","message":")" + text + R"("})";
}

std::optional<vrnum::test::http_answer> post_signed(const std::string& address,
                                                    const std::string& body,
                                                    const std::string& signature = "") {
    return request(
        address, "POST", "/webhooks/ys", body,
        {{"Content-Type", "application/json"},
         {"X-Signature", signature.empty() ? hmac_sha256_hex(secret, body) : signature}});
}

TEST(webhook, signed_message_is_stored_before_the_answer) {
    auto cfg = hmac_config();
    vrnum::test::temp_dir dir;  // outlives the gateway, for the reopen below
    cfg.store.path = dir.path() / "vrnum.db";
    cfg.store.key_file = dir.path() / "master.key";
    std::vector<vrnum::stored_message> seen;
    {
        running_gateway g(cfg);
        auto a = post_signed(g.address(), body_for("msg-1", "Привет \\ud83d\\udd10 \\\"q\\\"\\n2"));
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u) << a->body;
        EXPECT_EQ(a->body, "");
        // The answer came after the commit: the row is readable now.
        seen = g.gw().messages_after(0, 10);
        ASSERT_EQ(seen.size(), 1u);
    }
    EXPECT_EQ(seen[0].provider_id, "msg-1");
    EXPECT_EQ(seen[0].from, "+447700900001");  // E.164
    EXPECT_EQ(seen[0].to, "+37255500001");
    EXPECT_EQ(seen[0].text, "Привет \xF0\x9F\x94\x90 \"q\"\n2");
    EXPECT_EQ(seen[0].source, "ys");
    // And it is still there after the store is reopened.
    auto st =
        vrnum::store::open(cfg.store, {.logger = std::make_shared<spdlog::logger>(
                                           "t", std::make_shared<spdlog::sinks::null_sink_mt>())});
    EXPECT_EQ(st->messages_after(0, 10).size(), 1u);
}

// The daemon's threading (an io_context per I/O thread): concurrent keep-alive clients on
// both threads, each message sent twice, every answer 200 after its commit, one row each.
TEST(webhook, per_thread_io_contexts_store_concurrent_webhooks_once) {
    running_gateway g(hmac_config(), {}, false, running_gateway::threading::per_thread);
    constexpr int clients = 6;
    constexpr int per_client = 25;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < clients; ++t) {
        threads.emplace_back([&, t] {
            http_connection c(g.address());
            for (int i = 0; i < per_client; ++i) {
                const std::string body =
                    body_for("pt-" + std::to_string(t) + "-" + std::to_string(i));
                const std::string head =
                    "POST /webhooks/ys HTTP/1.1\r\nHost: t\r\n"
                    "Content-Type: application/json\r\nX-Signature: " +
                    hmac_sha256_hex(secret, body) +
                    "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n";
                for (int attempt = 0; attempt < 2; ++attempt) {
                    if (!c.send(head + body)) {
                        return;
                    }
                    auto a = c.read();
                    if (a && a->status == 200u) {
                        ++ok;
                    }
                }
            }
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    EXPECT_EQ(ok.load(), clients * per_client * 2);
    EXPECT_EQ(g.gw().messages_after(0, 1000).size(),
              static_cast<std::size_t>(clients * per_client));
}

TEST(webhook, bad_signatures_are_401_and_leave_nothing) {
    running_gateway g(hmac_config());
    const std::string body = body_for("msg-bad");
    auto wrong = post_signed(g.address(), body, hmac_sha256_hex("other-secret", body));
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401u);
    EXPECT_NE(wrong->body.find(R"("error":"bad_signature")"), std::string::npos);
    auto tampered =
        post_signed(g.address(), body_for("msg-bad", "changed"), hmac_sha256_hex(secret, body));
    ASSERT_TRUE(tampered);
    EXPECT_EQ(tampered->status, 401u);
    auto unsigned_req =
        request(g.address(), "POST", "/webhooks/ys", body, {{"Content-Type", "application/json"}});
    ASSERT_TRUE(unsigned_req);
    EXPECT_EQ(unsigned_req->status, 401u);
    EXPECT_TRUE(g.gw().messages_after(0, 10).empty());
    auto m = request(g.address(), "GET", "/metrics");
    ASSERT_TRUE(m);
    EXPECT_NE(m->body.find(R"(vrnum_webhooks_total{outcome="bad_signature",source="ys"} 3)"),
              std::string::npos)
        << m->body;
}

TEST(webhook, refusals_are_counted_by_reason) {
    auto cfg = hmac_config();
    cfg.sources[0].timestamp_header = "X-Timestamp";
    cfg.sources[0].tolerance_seconds = 300;
    cfg.server.max_body_bytes = 1024;
    running_gateway g(cfg);
    const std::string body = body_for("msg-reasons");
    auto signed_at = [&](std::int64_t ts, const std::string& content_type, const std::string& b) {
        auto t = std::to_string(ts);
        return request(g.address(), "POST", "/webhooks/ys", b,
                       {{"Content-Type", content_type},
                        {"X-Timestamp", t},
                        {"X-Signature", hmac_sha256_hex(secret, t + "." + b)}});
    };
    const auto now = vrnum::now_unix_ms() / 1000;
    auto old = signed_at(now - 3600, "application/json", body);
    ASSERT_TRUE(old);
    EXPECT_EQ(old->status, 401u);
    EXPECT_NE(old->body.find(R"("error":"bad_signature")"), std::string::npos);
    // Correctly signed, but not a body this source reads.
    for (const char* type : {"text/plain", "application/x-www-form-urlencoded"}) {
        auto a = signed_at(now, type, body);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 415u) << type;
        EXPECT_NE(a->body.find(R"("error":"unsupported_media_type")"), std::string::npos);
    }
    auto big = signed_at(now, "application/json", body_for("msg-big", std::string(2000, 'x')));
    ASSERT_TRUE(big);
    EXPECT_EQ(big->status, 413u);
    EXPECT_TRUE(g.gw().messages_after(0, 10).empty());
    // A JSON type with parameters, or a +json type, is read.
    auto ok = signed_at(now, "Application/JSON; charset=utf-8", body);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200u) << ok->body;

    auto m = request(g.address(), "GET", "/metrics");
    ASSERT_TRUE(m);
    for (const char* line :
         {R"(vrnum_webhooks_total{outcome="stale",source="ys"} 1)",
          R"(vrnum_webhooks_total{outcome="unsupported_media_type",source="ys"} 2)",
          R"(vrnum_webhooks_total{outcome="too_large",source="ys"} 1)",
          R"(vrnum_webhooks_total{outcome="accepted",source="ys"} 1)",
          R"(vrnum_webhooks_total{outcome="bad_signature",source="ys"} 0)"}) {
        EXPECT_NE(m->body.find(line), std::string::npos) << line << "\n" << m->body;
    }
}

TEST(webhook, unknown_source_is_404_and_malformed_is_400) {
    running_gateway g(hmac_config());
    auto unknown = request(g.address(), "POST", "/webhooks/nope", body_for("x"),
                           {{"Content-Type", "application/json"}});
    ASSERT_TRUE(unknown);
    EXPECT_EQ(unknown->status, 404u);
    const std::string broken = R"({"id":"x","sender":)";
    auto malformed = post_signed(g.address(), broken);
    ASSERT_TRUE(malformed);
    EXPECT_EQ(malformed->status, 400u);
    EXPECT_NE(malformed->body.find(R"("error":"malformed")"), std::string::npos);
    auto get = request(g.address(), "GET", "/webhooks/ys");
    ASSERT_TRUE(get);
    EXPECT_EQ(get->status, 405u);
    EXPECT_EQ(get->header("Allow"), "POST");
    EXPECT_TRUE(g.gw().messages_after(0, 10).empty());
}

TEST(webhook, retries_are_answered_alike_and_stored_once) {
    running_gateway g(hmac_config());
    const std::string body = body_for("msg-retry");
    for (int i = 0; i < 3; ++i) {
        auto a = post_signed(g.address(), body);
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->body, "");
    }
    EXPECT_EQ(g.gw().messages_after(0, 10).size(), 1u);
}

TEST(webhook, on_message_fires_after_commit_and_handle_serves_embedders) {
    auto cfg = hmac_config();
    vrnum::test::temp_dir dir;
    cfg.store.path = dir.path() / "vrnum.db";
    cfg.store.key_file = dir.path() / "master.key";
    boost::asio::io_context ioc;
    auto log =
        std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::null_sink_mt>());
    vrnum::gateway gw(ioc, cfg, {.logger = log});
    std::promise<vrnum::stored_message> got;
    gw.on_message([&](const vrnum::stored_message& m) { got.set_value(m); });

    vrnum::http::request req;
    req.method = "POST";
    req.target = "/webhooks/ys";
    req.body = body_for("via-handle");
    req.headers = {{"Content-Type", "application/json"},
                   {"X-Signature", hmac_sha256_hex(secret, req.body)}};
    auto guard = boost::asio::make_work_guard(ioc);  // on_message posts after the answer
    auto answer = boost::asio::co_spawn(ioc, gw.handle(req), boost::asio::use_future);
    std::thread runner([&] { ioc.run(); });
    ASSERT_EQ(answer.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(answer.get().status, 200u);
    auto f = got.get_future();
    ASSERT_EQ(f.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(f.get().provider_id, "via-handle");
    guard.reset();
    runner.join();
}

}  // namespace
