// The HTTP server over loopback: routing, keep-alive, pipelining, 100-continue, operations
// routes, the access log, streaming answers and the drain.

#include <algorithm>
#include <atomic>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include "support/gateway_fixture.hpp"
#include "support/http_client.hpp"
#include "support/wait.hpp"

namespace {

namespace net = boost::asio;
namespace http = vrnum::http;
using vrnum::test::http_connection;
using vrnum::test::request;
using vrnum::test::running_gateway;
using vrnum::test::test_config;

http::route echo_route() {
    return {"POST", "/echo/{name}", [](http::request& r) -> net::awaitable<http::response> {
                http::response res;
                res.body = r.params.at("name") + ":" + r.body;
                res.set("Content-Type", "text/plain");
                co_return res;
            }};
}

http::route whoami_route() {
    return {"GET", "/whoami", [](http::request& r) -> net::awaitable<http::response> {
                http::response res;
                res.body = r.client_ip;
                co_return res;
            }};
}

TEST(http_server, answers_healthz_and_head) {
    running_gateway g(test_config());
    auto a = request(g.address(), "GET", "/healthz");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, R"({"status":"ok"})");
    EXPECT_FALSE(a->header("X-Request-Id").empty());
    EXPECT_FALSE(a->header("Date").empty());

    auto h = request(g.address(), "HEAD", "/healthz");
    ASSERT_TRUE(h);
    EXPECT_EQ(h->status, 200u);
    EXPECT_EQ(h->body, "");
    EXPECT_EQ(h->header("Content-Length"), std::to_string(a->body.size()));
}

TEST(http_server, unknown_path_is_404_json) {
    running_gateway g(test_config());
    auto a = request(g.address(), "GET", "/nope?x=1");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 404u);
    EXPECT_EQ(a->header("Content-Type"), "application/json");
    EXPECT_NE(a->body.find(R"("error":"not_found")"), std::string::npos);
    EXPECT_NE(a->body.find(R"("detail":)"), std::string::npos);
}

TEST(http_server, wrong_method_is_405_with_allow) {
    running_gateway g(test_config(), {echo_route()});
    auto a = request(g.address(), "GET", "/echo/x");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 405u);
    EXPECT_EQ(a->header("Allow"), "POST");
    EXPECT_NE(a->body.find("method_not_allowed"), std::string::npos);
    auto b = request(g.address(), "DELETE", "/healthz");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 405u);
    EXPECT_EQ(b->header("Allow"), "GET, HEAD");
}

TEST(http_server, post_without_length_is_411) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    ASSERT_TRUE(c.send("POST /echo/a HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 411u);
    EXPECT_NE(a->body.find("length_required"), std::string::npos);
}

TEST(http_server, keep_alive_and_pipelining) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    std::string batch;
    for (int i = 0; i < 5; ++i) {
        std::string body = "b" + std::to_string(i);
        batch += "POST /echo/p" + std::to_string(i) +
                 " HTTP/1.1\r\nHost: t\r\nContent-Length: " + std::to_string(body.size()) +
                 "\r\n\r\n" + body;
    }
    batch += "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n";
    ASSERT_TRUE(c.send(batch));
    for (int i = 0; i < 5; ++i) {
        auto a = c.read();
        ASSERT_TRUE(a) << i;
        EXPECT_EQ(a->status, 200u);
        EXPECT_EQ(a->body, "p" + std::to_string(i) + ":b" + std::to_string(i));
        EXPECT_TRUE(a->keep_alive);
    }
    auto last = c.read();
    ASSERT_TRUE(last);
    EXPECT_EQ(last->status, 200u);
    // The same connection serves another request later.
    ASSERT_TRUE(c.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto again = c.read();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200u);
}

TEST(http_server, honours_connection_close_and_http_1_0) {
    running_gateway g(test_config(), {echo_route()});
    {
        http_connection c(g.address());
        ASSERT_TRUE(c.send("GET /nope HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n"));
        auto a = c.read();
        ASSERT_TRUE(a);
        EXPECT_EQ(a->status, 404u);
        EXPECT_FALSE(a->keep_alive);
        EXPECT_TRUE(c.closed_by_peer());
    }
    {
        http_connection c(g.address());
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
        auto a = c.read();
        ASSERT_TRUE(a);
        EXPECT_EQ(a->header("Connection"), "keep-alive");
        ASSERT_TRUE(c.send("GET /healthz HTTP/1.0\r\n\r\n"));
        auto b = c.read();
        ASSERT_TRUE(b);
        EXPECT_EQ(b->status, 200u);
        EXPECT_TRUE(c.closed_by_peer());
    }
}

TEST(http_server, accepts_absolute_form_targets) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("POST http://gateway.example/echo/abs?q=1 HTTP/1.1\r\nHost: gateway.example\r\n"
               "Content-Length: 1\r\n\r\nz"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, "abs:z");
}

TEST(http_server, chunked_request_body) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("POST /echo/c HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
               "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, "c:hello world");
}

TEST(http_server, expect_100_continue) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("POST /echo/e HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\n"));
    EXPECT_EQ(c.read_raw(25), "HTTP/1.1 100 Continue\r\n\r\n");
    ASSERT_TRUE(c.send("data"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, "e:data");
}

TEST(http_server, expect_100_continue_refused_for_unknown_route) {
    running_gateway g(test_config(), {echo_route()});
    http_connection c(g.address());
    // No 100 for a request that will be refused: the body is never asked for.
    ASSERT_TRUE(
        c.send("POST /nope HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 404u);
    EXPECT_FALSE(a->keep_alive);
}

TEST(http_server, readyz_and_metrics) {
    running_gateway g(test_config());
    auto r = request(g.address(), "GET", "/readyz");
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200u);
    g.gw().set_ready(false);
    auto n = request(g.address(), "GET", "/readyz");
    ASSERT_TRUE(n);
    EXPECT_EQ(n->status, 503u);
    EXPECT_EQ(n->header("Retry-After"), "1");
    ASSERT_TRUE(request(g.address(), "GET", "/healthz"));
    // A request is counted once its answer is written, which may be just after the client
    // has read it.
    std::optional<vrnum::test::http_answer> m;
    EXPECT_TRUE(vrnum::test::wait_for(
        [&] {
            m = request(g.address(), "GET", "/metrics");
            return m && m->body.find(R"(route="/healthz",status="200")") != std::string::npos;
        },
        std::chrono::seconds(10)));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->status, 200u);
    EXPECT_NE(m->header("Content-Type").find("text/plain"), std::string::npos);
    EXPECT_NE(
        m->body.find(R"(vrnum_http_requests_total{method="GET",route="/healthz",status="200"})"),
        std::string::npos)
        << m->body;
    EXPECT_NE(m->body.find("vrnum_http_request_duration_seconds_bucket"), std::string::npos);
    EXPECT_NE(m->body.find("vrnum_http_open_connections"), std::string::npos);
}

TEST(http_server, admin_listener_takes_readyz_and_metrics) {
    auto cfg = test_config();
    cfg.server.admin_listen = "127.0.0.1:0";
    running_gateway g(cfg);
    ASSERT_FALSE(g.admin_address().empty());
    EXPECT_EQ(request(g.address(), "GET", "/metrics")->status, 404u);
    EXPECT_EQ(request(g.address(), "GET", "/readyz")->status, 404u);
    EXPECT_EQ(request(g.address(), "GET", "/healthz")->status, 200u);
    EXPECT_EQ(request(g.admin_address(), "GET", "/metrics")->status, 200u);
    EXPECT_EQ(request(g.admin_address(), "GET", "/readyz")->status, 200u);
}

TEST(http_server, access_log_has_template_but_no_query_or_body) {
    running_gateway g(test_config(), {echo_route()});
    auto a = request(g.address(), "POST", "/echo/secretname?token=hunter2", "body-secret-xyz");
    ASSERT_TRUE(a);
    ASSERT_EQ(a->status, 200u);
    // The access line is written just after the answer: wait for it (bounded).
    std::vector<std::string> lines;
    for (int i = 0; i < 500; ++i) {
        lines = g.log_lines();
        if (std::any_of(lines.begin(), lines.end(), [](const std::string& l) {
                return l.find(R"("route":"/echo/{name}")") != std::string::npos;
            })) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    bool found = false;
    for (const auto& l : lines) {
        EXPECT_EQ(l.find("hunter2"), std::string::npos) << l;
        EXPECT_EQ(l.find("token"), std::string::npos) << l;
        EXPECT_EQ(l.find("body-secret-xyz"), std::string::npos) << l;
        EXPECT_EQ(l.find("secretname"), std::string::npos) << l;
        if (l.find(R"("route":"/echo/{name}")") != std::string::npos) {
            found = true;
            EXPECT_NE(l.find(R"("status":200)"), std::string::npos) << l;
            EXPECT_NE(l.find(R"("ip":"127.0.0.0/24")"), std::string::npos) << l;
            EXPECT_NE(l.find(R"("request_id":")" + a->header("X-Request-Id")), std::string::npos);
            EXPECT_NE(l.find(R"("duration_ms":)"), std::string::npos) << l;
        }
    }
    EXPECT_TRUE(found);
}

TEST(http_server, client_ip_from_trusted_proxy_only) {
    auto cfg = test_config();
    cfg.server.client_ip_header = "X-Forwarded-For";
    running_gateway untrusted(cfg, {whoami_route()});
    auto a = request(untrusted.address(), "GET", "/whoami", "", {{"X-Forwarded-For", "9.9.9.9"}});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, "127.0.0.1");

    cfg.server.trusted_proxies = {"127.0.0.0/8"};
    running_gateway trusted(cfg, {whoami_route()});
    auto b = request(trusted.address(), "GET", "/whoami", "", {{"X-Forwarded-For", "9.9.9.9"}});
    ASSERT_TRUE(b);
    EXPECT_EQ(b->body, "9.9.9.9");
    // A client's own line comes first; the proxy's line, appended after it, wins.
    auto c = request(trusted.address(), "GET", "/whoami", "",
                     {{"X-Forwarded-For", "1.2.3.4"}, {"X-Forwarded-For", "9.9.9.9"}});
    ASSERT_TRUE(c);
    EXPECT_EQ(c->body, "9.9.9.9");
}

TEST(http_server, handler_exception_is_500_and_connection_survives) {
    http::route boom{"GET", "/boom", [](http::request&) -> net::awaitable<http::response> {
                         throw std::runtime_error("kaboom");
                         co_return http::response{};
                     }};
    running_gateway g(test_config(), {boom});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("GET /boom HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 500u);
    EXPECT_NE(a->body.find(R"("error":"internal")"), std::string::npos);
    EXPECT_EQ(a->body.find("kaboom"), std::string::npos);
    auto b = c.read();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 200u);
}

TEST(http_server, a_header_that_would_split_the_answer_is_500_and_connection_survives) {
    auto splitting = [](std::string value) {
        return [value](http::request&) -> net::awaitable<http::response> {
            http::response r;
            r.set("Location", value);
            r.body = "moved";
            co_return r;
        };
    };
    http::route plain{"GET", "/split", splitting("/a\r\nSet-Cookie: session=stolen")};
    http::route stream{"GET", "/split-stream",
                       [](http::request&) -> net::awaitable<http::response> {
                           http::response r;
                           r.set("X-Bad\n", "v");
                           r.stream = [](http::body_writer& w) -> net::awaitable<void> {
                               co_await w.write("never sent");
                           };
                           co_return r;
                       }};
    running_gateway g(test_config(), {plain, stream});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("GET /split HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /split-stream HTTP/1.1\r\nHost: t\r\n\r\n"
               "GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    for (int i = 0; i < 2; ++i) {
        auto a = c.read();
        ASSERT_TRUE(a) << i;
        EXPECT_EQ(a->status, 500u);
        EXPECT_EQ(a->header("Set-Cookie"), "");
        EXPECT_EQ(a->header("Location"), "");
        EXPECT_NE(a->body.find(R"("error":"internal")"), std::string::npos);
    }
    auto b = c.read();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->status, 200u);
}

TEST(http_server, a_handler_can_own_the_stream) {
    http::route events{"GET", "/events", [](http::request&) -> net::awaitable<http::response> {
                           http::response r;
                           r.set("Content-Type", "text/event-stream");
                           r.stream = [](http::body_writer& w) -> net::awaitable<void> {
                               for (int i = 0; i < 3; ++i) {
                                   if (!co_await w.write("data: " + std::to_string(i) + "\n\n")) {
                                       co_return;
                                   }
                               }
                           };
                           co_return r;
                       }};
    running_gateway g(test_config(), {events});
    auto a = request(g.address(), "GET", "/events");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->header("Transfer-Encoding"), "chunked");
    EXPECT_EQ(a->body, "data: 0\n\ndata: 1\n\ndata: 2\n\n");
}

TEST(http_server, head_on_a_stream_route_sends_no_body) {
    std::atomic<bool> called{false};
    http::route events{"GET", "/events", [&](http::request&) -> net::awaitable<http::response> {
                           http::response r;
                           r.stream = [&](http::body_writer& w) -> net::awaitable<void> {
                               called = true;
                               co_await w.write("data: x\n\n");
                           };
                           co_return r;
                       }};
    running_gateway g(test_config(), {events});
    http_connection c(g.address());
    ASSERT_TRUE(
        c.send("HEAD /events HTTP/1.1\r\nHost: t\r\n\r\nGET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    auto a = c.read(true);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    auto b = c.read();
    ASSERT_TRUE(b);
    EXPECT_EQ(b->body, R"({"status":"ok"})");
    EXPECT_FALSE(called);
}

TEST(http_server, a_failing_stream_is_not_ended_as_complete) {
    http::route events{"GET", "/export", [](http::request&) -> net::awaitable<http::response> {
                           http::response r;
                           r.stream = [](http::body_writer& w) -> net::awaitable<void> {
                               co_await w.write("part one");
                               throw std::runtime_error("disk gone");
                           };
                           co_return r;
                       }};
    running_gateway g(test_config(), {events});
    http_connection c(g.address());
    ASSERT_TRUE(c.send("GET /export HTTP/1.1\r\nHost: t\r\n\r\n"));
    // Without the closing chunk the client sees a truncated message, not a whole one.
    EXPECT_FALSE(c.read());
}

TEST(http_server, drain_ends_a_waiting_stream) {
    std::promise<void> streaming;
    http::route events{"GET", "/events", [&](http::request&) -> net::awaitable<http::response> {
                           http::response r;
                           r.stream = [&](http::body_writer& w) -> net::awaitable<void> {
                               co_await w.write(": hello\n\n");
                               streaming.set_value();
                               while (co_await w.wait(std::chrono::seconds(60))) {
                                   co_await w.write(": heartbeat\n\n");
                               }
                           };
                           co_return r;
                       }};
    running_gateway g(test_config(), {events});
    http_connection c(g.address());
    ASSERT_TRUE(c.send("GET /events HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_EQ(streaming.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    g.begin_shutdown();
    // Well before the 60 s heartbeat: the stream ends because the server drains.
    EXPECT_TRUE(g.wait_drained(std::chrono::seconds(20)));
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->body, ": hello\n\n");
}

TEST(http_server, drain_lets_an_in_flight_request_finish) {
    std::promise<void> entered;
    std::atomic<bool> release{false};
    http::route slow{"POST", "/slow", [&](http::request& r) -> net::awaitable<http::response> {
                         entered.set_value();
                         net::steady_timer t(co_await net::this_coro::executor);
                         while (!release) {
                             t.expires_after(std::chrono::milliseconds(10));
                             co_await t.async_wait(net::use_awaitable);
                         }
                         http::response res;
                         res.body = "done:" + r.body;
                         co_return res;
                     }};
    running_gateway g(test_config(), {slow});
    http_connection idle(g.address());  // an idle keep-alive connection must not hold the drain
    ASSERT_TRUE(idle.send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_TRUE(idle.read());

    http_connection c(g.address());
    ASSERT_TRUE(c.send("POST /slow HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok"));
    ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    g.begin_shutdown();
    EXPECT_TRUE(idle.closed_by_peer());
    EXPECT_FALSE(g.wait_drained(std::chrono::milliseconds(200)));  // still busy
    release = true;
    auto a = c.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_EQ(a->body, "done:ok");
    EXPECT_FALSE(a->keep_alive);
    EXPECT_TRUE(g.wait_drained(std::chrono::seconds(20)));
}

}  // namespace

namespace {

// With an io_context per thread, connections are spread over the threads and each stays on
// its own: every answer of a connection comes from one thread, and both threads serve.
TEST(http_server, per_thread_io_contexts_keep_each_connection_on_one_thread) {
    std::mutex mutex;
    std::map<std::thread::id, std::string> names;
    http::route where{"GET", "/where", [&](http::request&) -> net::awaitable<http::response> {
                          std::lock_guard lock(mutex);
                          auto [it, added] = names.try_emplace(std::this_thread::get_id(),
                                                               std::to_string(names.size()));
                          http::response res;
                          res.body = it->second;
                          co_return res;
                      }};
    running_gateway g(test_config(), {where, echo_route()}, false,
                      running_gateway::threading::per_thread);
    std::set<std::string> seen;
    for (int conn = 0; conn < 4; ++conn) {
        http_connection c(g.address());
        std::string first;
        for (int i = 0; i < 3; ++i) {
            ASSERT_TRUE(c.send("GET /where HTTP/1.1\r\nHost: t\r\n\r\n"));
            auto a = c.read();
            ASSERT_TRUE(a);
            ASSERT_EQ(a->status, 200u);
            if (i == 0) {
                first = a->body;
            }
            EXPECT_EQ(a->body, first) << "connection " << conn << " moved between threads";
        }
        seen.insert(first);
        ASSERT_TRUE(c.send("POST /echo/x HTTP/1.1\r\nHost: t\r\nContent-Length: 2\r\n\r\nok"));
        auto e = c.read();
        ASSERT_TRUE(e);
        EXPECT_EQ(e->body, "x:ok");
    }
    EXPECT_EQ(seen.size(), 2u);
}

// The drain reaches connections on every thread: idle ones close at once, a busy one
// finishes its answer, and then the drain completes.
TEST(http_server, per_thread_io_contexts_drain) {
    std::promise<void> entered;
    std::atomic<bool> release{false};
    http::route slow{"GET", "/slow", [&](http::request&) -> net::awaitable<http::response> {
                         entered.set_value();
                         net::steady_timer t(co_await net::this_coro::executor);
                         while (!release) {
                             t.expires_after(std::chrono::milliseconds(10));
                             co_await t.async_wait(net::use_awaitable);
                         }
                         co_return http::response{};
                     }};
    running_gateway g(test_config(), {slow}, false, running_gateway::threading::per_thread);
    std::vector<http_connection> idle;
    for (int i = 0; i < 3; ++i) {  // on both threads
        idle.emplace_back(g.address());
        ASSERT_TRUE(idle.back().send("GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"));
        ASSERT_TRUE(idle.back().read());
    }
    http_connection busy(g.address());
    ASSERT_TRUE(busy.send("GET /slow HTTP/1.1\r\nHost: t\r\n\r\n"));
    ASSERT_EQ(entered.get_future().wait_for(std::chrono::seconds(10)), std::future_status::ready);
    g.begin_shutdown();
    for (auto& c : idle) {
        EXPECT_TRUE(c.closed_by_peer());
    }
    EXPECT_FALSE(g.wait_drained(std::chrono::milliseconds(200)));
    release = true;
    auto a = busy.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_TRUE(g.wait_drained(std::chrono::seconds(20)));
}

}  // namespace
