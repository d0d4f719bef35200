// Limits, deadlines and request smuggling over loopback: each hostile request gets its status
// and a closed connection, and the server goes on serving others.

#include <thread>

#include <gtest/gtest.h>
#include <sys/resource.h>

#include "support/gateway_fixture.hpp"
#include "support/http_client.hpp"

namespace {

namespace net = boost::asio;
namespace http = vrnum::http;
using vrnum::test::http_connection;
using vrnum::test::request;
using vrnum::test::running_gateway;
using vrnum::test::test_config;

http::route sink_route() {
    return {"POST", "/sink", [](http::request& r) -> net::awaitable<http::response> {
                http::response res;
                res.body = std::to_string(r.body.size());
                co_return res;
            }};
}

vrnum::config small_limits() {
    auto cfg = test_config();
    cfg.server.max_body_bytes = 1024;
    cfg.server.max_header_bytes = 2048;
    cfg.server.header_timeout_seconds = 2;
    cfg.server.body_timeout_seconds = 2;
    cfg.server.idle_timeout_seconds = 5;
    return cfg;
}

// Sends `raw`, expects `status` with the JSON `code`, then a closed connection, then a
// normal request on a new connection.
void expect_refused(const running_gateway& g, const std::string& raw, unsigned status,
                    const std::string& code) {
    SCOPED_TRACE(raw.substr(0, 120));
    http_connection c(g.address());
    c.set_timeout(std::chrono::seconds(10));
    ASSERT_TRUE(c.send(raw));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, status);
    EXPECT_NE(a->body.find("\"error\":\"" + code + "\""), std::string::npos) << a->body;
    EXPECT_FALSE(a->keep_alive);
    EXPECT_TRUE(c.closed_by_peer());
    auto ok = request(g.address(), "POST", "/sink", "fine");
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200u);
    EXPECT_EQ(ok->body, "4");
}

TEST(http_limits, body_over_limit_is_413_and_closes) {
    running_gateway g(small_limits(), {sink_route()});
    expect_refused(
        g,
        "POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 1025\r\n\r\n" + std::string(1025, 'x'),
        413, "too_large");
    auto ok = request(g.address(), "POST", "/sink", std::string(1024, 'x'));
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200u);
}

TEST(http_limits, chunked_body_over_limit_is_413) {
    running_gateway g(small_limits(), {sink_route()});
    std::string chunks;
    for (int i = 0; i < 3; ++i) {
        chunks += "200\r\n" + std::string(512, 'y') + "\r\n";
    }
    expect_refused(g,
                   "POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks +
                       "0\r\n\r\n",
                   413, "too_large");
}

TEST(http_limits, headers_over_limit_are_431) {
    running_gateway g(small_limits(), {sink_route()});
    expect_refused(
        g, "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Big: " + std::string(3000, 'h') + "\r\n\r\n", 431,
        "headers_too_large");
    // Many small headers count too.
    std::string many = "GET /healthz HTTP/1.1\r\nHost: t\r\n";
    for (int i = 0; i < 200; ++i) {
        many += "X-H" + std::to_string(i) + ": v\r\n";
    }
    expect_refused(g, many + "\r\n", 431, "headers_too_large");
}

TEST(http_limits, smuggling_attempts_are_400_and_close) {
    running_gateway g(small_limits(), {sink_route()});
    const std::string post = "POST /sink HTTP/1.1\r\nHost: t\r\n";
    const std::vector<std::string> attacks = {
        // CL + TE, both orders
        post + "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n0\r\n\r\n",
        // two different Content-Lengths
        post + "Content-Length: 4\r\nContent-Length: 5\r\n\r\nabcde",
        post + "Content-Length: 4, 5\r\n\r\nabcde",
        // chunked not last, and an unknown coding
        post + "Transfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
        post + "Transfer-Encoding: gzip\r\n\r\n",
        post + "Transfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
        // obs-fold
        post + "Content-Length: 4\r\nX-Folded: a\r\n b\r\n\r\nabcd",
        post + "Transfer-Encoding:\r\n chunked\r\n\r\n0\r\n\r\n",
        // bare LF and bare CR
        "POST /sink HTTP/1.1\nHost: t\nContent-Length: 4\n\nabcd",
        post + "Content-Length: 4\r\nX-A: 1\nX-B: 2\r\n\r\nabcd",
        post + "Content-Length: 4\rX: y\r\n\r\nabcd",
        // bad chunk sizes and extensions
        post + "Transfer-Encoding: chunked\r\n\r\nzz\r\nabcd\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\n-4\r\nabcd\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\nabcd\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\n4 \r\nabcd\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\n4;\r\nabcd\r\n0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcdXX0\r\n\r\n",
        post + "Transfer-Encoding: chunked\r\n\r\n4\nabcd\r\n0\r\n\r\n",
        // bad Content-Length values
        post + "Content-Length: -1\r\n\r\n",
        post + "Content-Length: 1e3\r\n\r\n",
        post + "Content-Length: 99999999999999999999999\r\n\r\n",
        // a malformed request line, space before colon, bad version
        "POST  /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        post + "Content-Length : 4\r\n\r\nabcd",
        "POST /sink HTTP/2.0\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        "POST /sink HTTX/1.1\r\nHost: t\r\nContent-Length: 0\r\n\r\n",
        // Host missing or repeated (RFC 9112 §3.2)
        "POST /sink HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
        post + "Host: u\r\nContent-Length: 0\r\n\r\n",
        // trailer fields, which Beast would merge into the head
        post + "Transfer-Encoding: chunked\r\n\r\n4\r\nabcd\r\n0\r\nX-Signature: forged\r\n\r\n",
    };
    for (const auto& attack : attacks) {
        expect_refused(g, attack, 400, "malformed");
    }
}

TEST(http_limits, a_flood_of_empty_lines_is_431) {
    running_gateway g(small_limits(), {sink_route()});
    std::string flood;
    for (int i = 0; i < 4000; ++i) {
        flood += "\r\n";
    }
    expect_refused(g, flood + "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n", 431, "headers_too_large");
}

TEST(http_limits, unterminated_chunk_extension_is_never_served) {
    // Beast keeps waiting for the closing quote; the body deadline then closes the
    // connection without handing anything to the route.
    running_gateway g(small_limits(), {sink_route()});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("POST /sink HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               "4;a=\"unterminated\r\nabcd\r\n0\r\n\r\n"));
    c.set_timeout(std::chrono::seconds(15));
    auto a = c.read();
    EXPECT_TRUE(!a || a->status == 400u);
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(http_limits, large_content_length_is_413_before_the_body) {
    running_gateway g(small_limits(), {sink_route()});
    http_connection c(g.address());
    ASSERT_TRUE(c.send("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 100000000\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 413u);
}

TEST(http_limits, slow_header_sender_is_cut_off_at_the_deadline) {
    running_gateway g(small_limits(), {sink_route()});
    http_connection c(g.address());
    const std::string head = "GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: aaaaaaaaaaaaaaaaaaaa\r\n";
    auto start = std::chrono::steady_clock::now();
    bool cut = false;
    // One byte a second; the header deadline is 2 s, so the server must close long before
    // the head is complete (the loop is bounded by the head's length).
    for (char ch : head) {
        if (!c.send(std::string(1, ch))) {
            cut = true;
            break;
        }
        std::this_thread::sleep_for(std::chrono::seconds(1));
        if (std::chrono::steady_clock::now() - start > std::chrono::seconds(4)) {
            break;
        }
    }
    c.set_timeout(std::chrono::seconds(10));
    EXPECT_TRUE(cut || c.closed_by_peer());
}

TEST(http_limits, slow_body_sender_is_cut_off) {
    running_gateway g(small_limits(), {sink_route()});
    http_connection c(g.address());
    ASSERT_TRUE(c.send("POST /sink HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nab"));
    c.set_timeout(std::chrono::seconds(15));
    EXPECT_TRUE(c.closed_by_peer());
}

TEST(http_limits, idle_connections_do_not_block_new_clients) {
    // 1,000 idle connections need more descriptors than some defaults allow.
    rlimit lim{};
    ASSERT_EQ(getrlimit(RLIMIT_NOFILE, &lim), 0);
    if (lim.rlim_cur < 4096) {
        lim.rlim_cur = std::min<rlim_t>(lim.rlim_max, 4096);
        ASSERT_EQ(setrlimit(RLIMIT_NOFILE, &lim), 0);
    }
    ASSERT_GE(lim.rlim_cur, 2100u) << "cannot raise the open-files limit";
    running_gateway g(test_config());
    std::vector<http_connection> idle;
    idle.reserve(1000);
    for (int i = 0; i < 1000; ++i) {
        idle.emplace_back(g.address());
    }
    // Some of them send half a request and stall.
    for (int i = 0; i < 1000; i += 10) {
        ASSERT_TRUE(idle[i].send("GET /healthz HTTP/1.1\r\n"));
    }
    auto a = request(g.address(), "GET", "/healthz");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    auto m = request(g.address(), "GET", "/metrics");
    ASSERT_TRUE(m);
    const std::string gauge = "\nvrnum_http_open_connections ";
    auto at = m->body.find(gauge);
    ASSERT_NE(at, std::string::npos) << m->body;
    EXPECT_GE(std::stod(m->body.substr(at + gauge.size())), 1000.0);
}

TEST(http_limits, max_connections_is_enforced) {
    auto cfg = test_config();
    cfg.server.max_connections = 3;
    running_gateway g(cfg);
    std::vector<http_connection> held;
    for (int i = 0; i < 3; ++i) {
        held.emplace_back(g.address());
        ASSERT_TRUE(held.back().send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
        ASSERT_TRUE(held.back().read());
    }
    http_connection extra(g.address());
    EXPECT_TRUE(extra.closed_by_peer());
    held.clear();
    // Slots free up once connections close (the server notices the close asynchronously).
    bool served = false;
    for (int i = 0; i < 100 && !served; ++i) {
        auto a = request(g.address(), "GET", "/healthz");
        served = a && a->status == 200;
        if (!served) {
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }
    EXPECT_TRUE(served);
}

}  // namespace
