// HTTPS: a generated self-signed certificate, a verifying client, and plain HTTP refused.

#include <gtest/gtest.h>

#include "support/gateway_fixture.hpp"
#include "support/http_client.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cert.hpp"

namespace {

using vrnum::test::http_connection;
using vrnum::test::running_gateway;
using vrnum::test::temp_dir;
using vrnum::test::test_config;

TEST(http_tls, serves_https_with_the_configured_certificate) {
    temp_dir dir;
    auto files = vrnum::test::make_self_signed(dir.path());
    auto cfg = test_config();
    cfg.server.tls.cert_file = files.cert;
    cfg.server.tls.key_file = files.key;
    running_gateway g(cfg);
    EXPECT_EQ(g.gw().public_base_url().rfind("https://", 0), 0u);

    http_connection c(g.address(), true, files.cert.string());
    for (int i = 0; i < 3; ++i) {  // keep-alive over TLS
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"));
        auto a = c.read();
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->body, R"({"status":"ok"})");
    }
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: localhost\r\nX: a\r\n b\r\n\r\n"));
    auto bad = c.read();
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400u);
    EXPECT_TRUE(c.closed_by_peer());

    // A client speaking plain HTTP to the TLS port gets no HTTP answer.
    http_connection plain(g.address());
    plain.set_timeout(std::chrono::seconds(10));
    ASSERT_TRUE(plain.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    EXPECT_FALSE(plain.read());
}

TEST(http_tls, unreadable_certificate_fails_at_start) {
    temp_dir dir;
    auto cfg = test_config();
    cfg.server.tls.cert_file = dir.path() / "missing.pem";
    cfg.server.tls.key_file = dir.path() / "missing.key";
    EXPECT_THROW(running_gateway g(cfg), std::runtime_error);
}

}  // namespace
