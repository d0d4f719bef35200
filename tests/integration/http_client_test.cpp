// vrnumd's outbound HTTP(S) client against real servers on 127.0.0.1: the gateway (plain, and
// TLS with generated certificates) and a socket that accepts and never answers.

#include "net/http_client.hpp"

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <gtest/gtest.h>
#include <openssl/x509_vfy.h>

#include "config/daemon_config.hpp"
#include "support/gateway_fixture.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cert.hpp"

namespace {

namespace asio = boost::asio;
namespace http = vrnum::http;
using boost::system::error_code;
using vrnum::test::running_gateway;
using vrnum::test::temp_dir;
using vrnum::test::test_config;
using vrnumd::net::http_client;
using vrnumd::net::http_client_errc;
using vrnumd::net::http_request;
using vrnumd::net::http_response;
using namespace std::chrono_literals;

// The client on an io_context of its own, run by one thread.
class client_thread {
  public:
    explicit client_thread(const vrnumd::http_client_config& cfg = {})
        : client_(ioc_.get_executor(), cfg), thread_([this] { ioc_.run(); }) {}
    ~client_thread() {
        work_.reset();
        thread_.join();
    }

    std::pair<error_code, http_response> send(http_request req) {
        std::promise<std::pair<error_code, http_response>> done;
        auto f = done.get_future();
        client_.async_send(std::move(req), [&done](error_code ec, http_response r) {
            done.set_value({ec, std::move(r)});
        });
        return f.get();
    }

  private:
    asio::io_context ioc_;
    asio::executor_work_guard<asio::io_context::executor_type> work_{ioc_.get_executor()};
    http_client client_;
    std::thread thread_;
};

vrnumd::http_client_config trusting(const std::filesystem::path& ca, unsigned timeout = 10) {
    vrnumd::http_client_config cfg;
    cfg.ca_file = ca;
    cfg.timeout_seconds = timeout;
    return cfg;
}

const std::string post_body =
    std::string("{\"text\":\"\xd0\xbf\xd1\x80\xd0\xb8\",\"x\":\"a\r\nb\"}\0z", 30);

// What the POST route saw of the Host header (the port is known only once it listens).
struct host_seen {
    std::mutex mutex;
    std::string value;
};

// Answers 201 when the request is exactly what the POST test sends, else 400 naming what
// differs; counts its calls.
asio::awaitable<http::response> check_post(http::request& r, std::atomic<int>& hits,
                                           host_seen& host) {
    ++hits;
    {
        std::lock_guard lock(host.mutex);
        host.value = r.header("Host");
    }
    std::string wrong;
    wrong += r.body == post_body ? "" : "body;";
    wrong += r.target == "/v2/email/outbound-emails?a=1%202" ? "" : "target;";
    wrong += r.header("Content-Type") == "application/json" ? "" : "content-type;";
    wrong += r.header("X-Amz-Date") == "20240101T000000Z" ? "" : "x-amz-date;";
    wrong += r.header("Content-Length") == std::to_string(post_body.size()) ? "" : "length;";
    wrong += r.header("User-Agent").starts_with("vrnumd/") ? "" : "user-agent;";
    http::response res;
    res.status = wrong.empty() ? 201 : 400;
    res.body = wrong.empty() ? R"({"MessageId":"m-1"})" : wrong;
    res.set("X-Reply", "yes");
    co_return res;
}

http::route post_route(std::atomic<int>& hits, host_seen& host) {
    return {"POST", "/v2/email/outbound-emails",
            [&hits, &host](http::request& r) { return check_post(r, hits, host); }};
}

// GET /hello: "hi" when the request has no body and no Content-Length.
http::route hello_route(std::atomic<int>& hits) {
    return {"GET", "/hello", [&hits](http::request& r) -> asio::awaitable<http::response> {
                ++hits;
                http::response res;
                bool clean = r.body.empty() && r.header("Content-Length").empty() &&
                             r.target == "/hello?name=a%20b";
                res.status = clean ? 200 : 400;
                res.body = clean ? "hi" : "unexpected request";
                co_return res;
            }};
}

// GET /bytes/{n}: n bytes of 'x'.
http::route bytes_route() {
    return {"GET", "/bytes/{n}", [](http::request& r) -> asio::awaitable<http::response> {
                http::response res;
                res.body.assign(std::stoul(r.params.at("n")), 'x');
                co_return res;
            }};
}

// GET /chunked: "abcd" in two chunks.
http::route chunked_route() {
    return {"GET", "/chunked", [](http::request&) -> asio::awaitable<http::response> {
                http::response res;
                res.stream = [](http::body_writer& w) -> asio::awaitable<void> {
                    co_await w.write("ab");
                    co_await w.write("cd");
                };
                co_return res;
            }};
}

struct tls_server {
    temp_dir dir;
    vrnum::test::cert_files files;
    std::atomic<int> hits{0};
    host_seen host;
    std::unique_ptr<running_gateway> gw;

    explicit tls_server(const std::string& sans = "DNS:localhost,IP:127.0.0.1")
        : files(vrnum::test::make_self_signed_for(dir.path(), sans)) {
        auto cfg = test_config();
        cfg.server.tls.cert_file = files.cert;
        cfg.server.tls.key_file = files.key;
        gw = std::make_unique<running_gateway>(
            cfg, std::vector<http::route>{post_route(hits, host), hello_route(hits)});
    }
    std::string port() const { return gw->address().substr(gw->address().rfind(':') + 1); }
};

http_request get(std::string url) {
    http_request req;
    req.url = std::move(url);
    return req;
}

TEST(http_client, posts_over_https_trusting_the_ca_file) {
    tls_server server;
    client_thread c(trusting(server.files.cert));
    http_request req;
    req.method = "POST";
    req.url = "https://" + server.gw->address() + "/v2/email/outbound-emails?a=1%202";
    req.headers = {{"Content-Type", "application/json"}, {"X-Amz-Date", "20240101T000000Z"}};
    req.body = post_body;
    auto [ec, res] = c.send(req);
    ASSERT_FALSE(ec) << ec.message() << " / " << res.error_detail;
    EXPECT_EQ(res.status, 201u) << res.body;
    EXPECT_EQ(res.body, R"({"MessageId":"m-1"})");
    EXPECT_EQ(res.header("x-reply"), "yes");
    EXPECT_EQ(res.header("CONTENT-LENGTH"), std::to_string(res.body.size()));
    EXPECT_EQ(server.hits, 1);
    std::lock_guard lock(server.host.mutex);
    EXPECT_EQ(server.host.value, server.gw->address());  // 127.0.0.1:port
}

TEST(http_client, verifies_a_host_name) {
    tls_server server;
    client_thread c(trusting(server.files.cert));
    auto [ec, res] = c.send(get("https://localhost:" + server.port() + "/hello?name=a%20b"));
    ASSERT_FALSE(ec) << ec.message() << " / " << res.error_detail;
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.body, "hi");
}

// The first TLS record a client sends on a connection to `acceptor`: its ClientHello.
std::string client_hello(asio::ip::tcp::acceptor& acceptor) {
    auto s = acceptor.accept();
    std::string record(5, '\0');
    asio::read(s, asio::buffer(record));
    std::size_t length =
        static_cast<unsigned char>(record[3]) * 256u + static_cast<unsigned char>(record[4]);
    record.resize(5 + length);
    asio::read(s, asio::buffer(record.data() + 5, length));
    return record;
}

TEST(http_client, sends_sni_for_host_names_only) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor acceptor(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = std::to_string(acceptor.local_endpoint().port());
    client_thread c;
    for (auto [host, sni] : {std::pair{"localhost", true}, std::pair{"127.0.0.1", false}}) {
        auto hello = std::async(std::launch::async, [&] { return client_hello(acceptor); });
        auto [ec, res] = c.send(get("https://" + std::string(host) + ":" + port + "/"));
        EXPECT_TRUE(ec);  // the server hangs up after the ClientHello
        EXPECT_EQ(hello.get().find(host) != std::string::npos, sni) << host;
    }
}

TEST(http_client, gets_over_plain_http) {
    std::atomic<int> hits{0};
    running_gateway g(test_config(), {hello_route(hits), chunked_route()});
    client_thread c;
    auto [ec, res] = c.send(get("http://" + g.address() + "/hello?name=a%20b"));
    ASSERT_FALSE(ec) << ec.message() << " / " << res.error_detail;
    EXPECT_EQ(res.status, 200u);
    EXPECT_EQ(res.body, "hi");
    EXPECT_EQ(hits, 1);

    auto [cec, chunked] = c.send(get("http://" + g.address() + "/chunked"));
    ASSERT_FALSE(cec) << cec.message() << " / " << chunked.error_detail;
    EXPECT_EQ(chunked.body, "abcd");
}

TEST(http_client, refuses_an_untrusted_certificate) {
    tls_server server;
    client_thread c;  // system store only
    auto [ec, res] = c.send(get("https://" + server.gw->address() + "/hello?name=a%20b"));
    ASSERT_TRUE(ec);
    EXPECT_EQ(ec.category(), vrnumd::net::tls_verify_category());
    EXPECT_EQ(ec.value(), X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT) << ec.message();
    EXPECT_NE(ec.message().find("certificate verify failed"), std::string::npos);
    EXPECT_EQ(res.error_detail.rfind("TLS handshake with 127.0.0.1:", 0), 0u) << res.error_detail;
    EXPECT_EQ(res.status, 0u);
    EXPECT_EQ(server.hits, 0);
}

TEST(http_client, refuses_a_certificate_for_another_host) {
    tls_server server("DNS:wrong.example");
    client_thread c(trusting(server.files.cert));
    auto [ec, res] = c.send(get("https://localhost:" + server.port() + "/hello?name=a%20b"));
    ASSERT_TRUE(ec);
    EXPECT_EQ(ec, error_code(X509_V_ERR_HOSTNAME_MISMATCH, vrnumd::net::tls_verify_category()));
    EXPECT_NE(ec.message().find("hostname mismatch"), std::string::npos) << ec.message();

    auto [iec, ires] = c.send(get("https://" + server.gw->address() + "/hello?name=a%20b"));
    EXPECT_EQ(iec, error_code(X509_V_ERR_IP_ADDRESS_MISMATCH, vrnumd::net::tls_verify_category()));
    EXPECT_NE(ires.error_detail.find("IP address mismatch"), std::string::npos)
        << ires.error_detail;
    EXPECT_EQ(server.hits, 0);
}

TEST(http_client, times_out_when_the_server_never_answers) {
    asio::io_context ioc;  // never run: the kernel accepts into the backlog
    asio::ip::tcp::acceptor silent(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    auto address = "127.0.0.1:" + std::to_string(silent.local_endpoint().port());
    temp_dir dir;
    auto files = vrnum::test::make_self_signed(dir.path());
    client_thread c(trusting(files.cert, 1));
    for (std::string scheme : {"http://", "https://"}) {
        auto start = std::chrono::steady_clock::now();
        auto [ec, res] = c.send(get(scheme + address + "/"));
        EXPECT_EQ(ec, http_client_errc::timed_out) << scheme << ": " << ec.message();
        EXPECT_NE(res.error_detail.find("timed out"), std::string::npos) << res.error_detail;
        EXPECT_LT(std::chrono::steady_clock::now() - start, 10s) << scheme;
    }
}

TEST(http_client, reports_connection_refused) {
    asio::io_context ioc;
    asio::ip::tcp::acceptor closed(ioc, {asio::ip::make_address("127.0.0.1"), 0});
    auto port = std::to_string(closed.local_endpoint().port());
    closed.close();
    client_thread c;
    auto [ec, res] = c.send(get("http://127.0.0.1:" + port + "/"));
    EXPECT_EQ(ec, asio::error::connection_refused) << ec.message();
    EXPECT_EQ(res.error_detail.rfind("connect to 127.0.0.1:" + port + ": ", 0), 0u)
        << res.error_detail;
}

TEST(http_client, refuses_a_body_over_the_limit) {
    running_gateway g(test_config(), {bytes_route()});
    client_thread c;
    auto base = "http://" + g.address() + "/bytes/";
    auto [ok_ec, ok] = c.send(get(base + std::to_string(1 << 20)));
    ASSERT_FALSE(ok_ec) << ok_ec.message();
    EXPECT_EQ(ok.body.size(), std::size_t{1} << 20);

    auto [ec, res] = c.send(get(base + std::to_string((1 << 20) + 1)));
    EXPECT_EQ(ec, http_client_errc::body_too_large) << ec.message();
    EXPECT_NE(res.error_detail.find("over the limit"), std::string::npos) << res.error_detail;

    auto small = get(base + "11");
    small.body_limit = 10;
    EXPECT_EQ(c.send(small).first, http_client_errc::body_too_large);
}

TEST(http_client, refuses_bad_urls_and_headers_at_once) {
    client_thread c;
    EXPECT_EQ(c.send(get("ftp://127.0.0.1/x")).first, http_client_errc::unsupported_scheme);
    for (const char* url :
         {"not a url", "https://", "/relative", "http://u:p@127.0.0.1/", "http://127.0.0.1:99999/",
          "http://127.0.0.1:65536/", "http://127.0.0.1:0/", "http://[v1.x]/"}) {
        auto [ec, res] = c.send(get(url));
        EXPECT_EQ(ec, http_client_errc::bad_url) << url;
        EXPECT_EQ(res.error_detail, "parse URL: " + ec.message());
    }
    auto injected = get("http://127.0.0.1:1/");
    injected.headers = {{"X-Test", "a\r\nX-Injected: b"}};
    EXPECT_EQ(c.send(injected).first, http_client_errc::bad_request);
    auto bad_method = get("http://127.0.0.1:1/");
    bad_method.method = "GET /x";
    EXPECT_EQ(c.send(bad_method).first, http_client_errc::bad_request);
}

TEST(http_client, splits_urls_as_sent_on_the_wire) {
    auto u = http_client::parse_url("HTTPS://Email.EU-West-1.AmazonAWS.com/v2/a%20b?x=1&y#frag");
    ASSERT_TRUE(u);
    EXPECT_EQ(u->scheme, "https");
    EXPECT_EQ(u->host, "email.eu-west-1.amazonaws.com");
    EXPECT_FALSE(u->ip_literal);
    EXPECT_EQ(u->port, 443);
    EXPECT_EQ(u->target, "/v2/a%20b?x=1&y");
    EXPECT_EQ(u->authority(), "email.eu-west-1.amazonaws.com");

    auto v6 = http_client::parse_url("http://[::1]:8080");
    ASSERT_TRUE(v6);
    EXPECT_EQ(v6->host, "::1");
    EXPECT_TRUE(v6->ip_literal);
    EXPECT_EQ(v6->target, "/");
    EXPECT_EQ(v6->authority(), "[::1]:8080");

    auto explicit_default = http_client::parse_url("https://127.0.0.1:443/");
    ASSERT_TRUE(explicit_default);
    EXPECT_EQ(explicit_default->authority(), "127.0.0.1");
}

TEST(http_client, unreadable_ca_file_fails_at_construction) {
    temp_dir dir;
    asio::io_context ioc;
    auto missing = dir.path() / "missing.pem";
    try {
        http_client c(ioc.get_executor(), trusting(missing));
        FAIL() << "no exception";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find(missing.string()), std::string::npos) << e.what();
    }
    auto not_pem = dir.write("not.pem", "not a certificate\n");
    EXPECT_THROW(http_client(ioc.get_executor(), trusting(not_pem)), std::runtime_error);
}

}  // namespace
