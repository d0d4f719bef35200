// vrnumd as a process: command line, exit codes, check-config errors, serve, SIGTERM drain,
// and the access log on disk.

#include <fstream>
#include <regex>
#include <sstream>

#include <gtest/gtest.h>
#include <signal.h>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace {

using vrnum::test::child_process;
using vrnum::test::http_connection;
using vrnum::test::run;
using vrnum::test::source_dir;
using vrnum::test::temp_dir;
using vrnum::test::vrnumd_path;

const std::string minimal_config = R"(server:
  listen: "127.0.0.1:0"
store:
  path: "var/vrnum.db"
sources:
  - id: demo
    kind: hmac
    secret: "test-secret"
    header: X-Signature
)";

std::string read_file(const std::filesystem::path& p) {
    std::ifstream in(p);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST(vrnumd_cli, exit_codes) {
    EXPECT_EQ(run({vrnumd_path()}).exit_code, 2);
    EXPECT_EQ(run({vrnumd_path(), "no-such-command"}).exit_code, 2);
    EXPECT_EQ(run({vrnumd_path(), "serve", "--no-such-flag"}).exit_code, 2);
    auto help = run({vrnumd_path(), "serve", "--help"});
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_NE(help.out.find("-c"), std::string::npos);
    auto v = run({vrnumd_path(), "version"});
    EXPECT_EQ(v.exit_code, 0);
    EXPECT_NE(v.out.find("vrnum "), std::string::npos);
    EXPECT_NE(v.out.find("boost 1.81"), std::string::npos);
#ifdef VRNUM_WITH_MIMALLOC
    // Linked, mimalloc must really serve malloc (the linker could have dropped it).
    EXPECT_NE(v.out.find("allocator mimalloc 2."), std::string::npos) << v.out;
#else
    EXPECT_NE(v.out.find("allocator system"), std::string::npos) << v.out;
#endif
}

TEST(vrnumd_cli, check_config_accepts_the_default_config) {
    auto r = run({vrnumd_path(), "check-config", "-c", source_dir() + "/conf/vrnum.yaml"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("OK"), std::string::npos);
}

TEST(vrnumd_cli, check_config_names_file_line_column_and_key) {
    temp_dir dir;
    struct bad_case {
        std::string text;
        std::string expect;  // regex over stderr
    };
    const std::vector<bad_case> cases = {
        {minimal_config +
             "  - id: x\n    kind: hmac\n    secret: s\n    header: H\n    colour: red\n",
         R"(bad\.yaml:14:5: sources\[1\]\.colour: .*unknown)"},
        {"server:\n  listen: \"127.0.0.1:0\"\n  max_body_bytes: lots\n",
         R"(bad\.yaml:3:\d+: server\.max_body_bytes: )"},
        {"server:\n  listen: \"127.0.0.1:0\"\n  tls: { cert_file: \"${VRNUM_TEST_UNSET_VAR}\", "
         "key_file: k }\n",
         R"(bad\.yaml:3:\d+: server\.tls\.cert_file: .*VRNUM_TEST_UNSET_VAR)"},
        {"store:\n  synchronus: full\n", R"(bad\.yaml:2:3: store\.synchronus: .*unknown)"},
    };
    ::unsetenv("VRNUM_TEST_UNSET_VAR");
    for (const auto& c : cases) {
        auto file = dir.write("bad.yaml", c.text);
        auto r = run({vrnumd_path(), "check-config", "-c", file.string()});
        EXPECT_EQ(r.exit_code, 1) << c.text;
        EXPECT_TRUE(std::regex_search(r.err, std::regex(c.expect))) << r.err;
        // serve refuses it the same way.
        auto s = run({vrnumd_path(), "serve", "-c", file.string()});
        EXPECT_EQ(s.exit_code, 1) << s.err;
    }
    auto missing = run({vrnumd_path(), "check-config", "-c", (dir.path() / "none.yaml").string()});
    EXPECT_EQ(missing.exit_code, 1);
    EXPECT_NE(missing.err.find("none.yaml"), std::string::npos);
}

TEST(vrnumd_serve, starts_on_a_minimal_config_and_stops_on_sigterm) {
    temp_dir dir;
    auto file = dir.write("vrnum.yaml", minimal_config);
    child_process p({vrnumd_path(), "serve", "-c", file.string()});
    std::string error;
    std::string address = vrnum::test::start_daemon(p, &error);
    ASSERT_FALSE(address.empty()) << error;
    EXPECT_TRUE(std::regex_match(address, std::regex(R"(127\.0\.0\.1:\d+)"))) << address;

    auto a = vrnum::test::request(address, "GET", "/healthz");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    auto q = vrnum::test::request(address, "GET", "/readyz?secret-query=abc123");
    ASSERT_TRUE(q);
    EXPECT_EQ(q->status, 200u);

    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.stderr_text();

    // The access log is JSON lines under var/log, with the route but never the query.
    std::string log;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "var/log")) {
        log += read_file(e.path());
    }
    EXPECT_NE(log.find(R"("route":"/readyz")"), std::string::npos) << log;
    EXPECT_EQ(log.find("secret-query"), std::string::npos) << log;
    EXPECT_EQ(log.find("abc123"), std::string::npos) << log;
    EXPECT_EQ(log.find("test-secret"), std::string::npos) << log;
}

TEST(vrnumd_serve, sigterm_lets_an_in_flight_request_finish) {
    temp_dir dir;
    std::string config = minimal_config;
    config.replace(config.find("\nstore:"), 0, "\n  threads: 2");
    auto file = dir.write("vrnum.yaml", config);
    child_process p({vrnumd_path(), "serve", "-c", file.string()});
    std::string address = vrnum::test::start_daemon(p);
    ASSERT_FALSE(address.empty());

    http_connection idle(address);
    http_connection busy(address);
    ASSERT_TRUE(busy.send("GET /healthz HTTP/1.1\r\nHost: t\r\n"));  // half a request
    // Make sure the server holds those bytes before the signal: each I/O thread has its own
    // connections, and new ones are dealt to the threads in turn, so one answered request
    // on each of the next two connections means both threads ran after the bytes arrived.
    for (int i = 0; i < 2; ++i) {
        ASSERT_TRUE(vrnum::test::request(address, "GET", "/healthz"));
    }
    // The threads carry names for `top -H`: the writer and the second I/O thread.
    std::string names;
    for (const auto& t :
         std::filesystem::directory_iterator("/proc/" + std::to_string(p.pid()) + "/task")) {
        names += read_file((t.path() / "comm").string());
    }
    EXPECT_NE(names.find("vrnum-writer\n"), std::string::npos) << names;
    EXPECT_NE(names.find("vrnum-io-1\n"), std::string::npos) << names;
    p.signal(SIGTERM);
    EXPECT_TRUE(idle.closed_by_peer());
    ASSERT_TRUE(busy.send("X-Late: 1\r\n\r\n"));
    auto a = busy.read();
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    EXPECT_FALSE(a->keep_alive);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0) << p.stderr_text();
}

TEST(vrnumd_serve, runs_on_the_default_config) {
    temp_dir dir;
    std::string text = read_file(source_dir() + "/conf/vrnum.yaml");
    auto at = text.find("127.0.0.1:8080");
    ASSERT_NE(at, std::string::npos);
    text.replace(at, 14, "127.0.0.1:0");
    auto file = dir.write("conf/vrnum.yaml", text);
    child_process p({vrnumd_path(), "serve", "-c", file.string()});
    std::string error;
    std::string address = vrnum::test::start_daemon(p, &error);
    ASSERT_FALSE(address.empty()) << error;
    auto a = vrnum::test::request(address, "GET", "/healthz");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    p.signal(SIGINT);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
    // Relative paths are relative to the config file.
    EXPECT_TRUE(std::filesystem::exists(dir.path() / "conf/var/log"));
}

TEST(vrnumd_serve, a_taken_port_is_a_clear_failure) {
    temp_dir dir;
    auto first_file = dir.write("a.yaml", minimal_config);
    child_process first({vrnumd_path(), "serve", "-c", first_file.string()});
    std::string address = vrnum::test::start_daemon(first);
    ASSERT_FALSE(address.empty());
    std::string text = minimal_config;
    text.replace(text.find("127.0.0.1:0"), 11, address);
    auto second = run({vrnumd_path(), "serve", "-c", dir.write("b.yaml", text).string()});
    EXPECT_EQ(second.exit_code, 1);
    EXPECT_NE(second.err.find("vrnumd:"), std::string::npos) << second.err;
}

}  // namespace

namespace {

TEST(vrnumd_simulate, posts_signed_messages_that_land_once_each) {
    temp_dir dir;
    auto file = dir.write("vrnum.yaml", minimal_config);
    child_process p({vrnumd_path(), "serve", "-c", file.string()});
    std::string address = vrnum::test::start_daemon(p);
    ASSERT_FALSE(address.empty());
    auto sim = run({vrnumd_path(), "simulate", "-c", file.string(), "--source", "demo", "--count",
                    "3", "--address", address});
    EXPECT_EQ(sim.exit_code, 0) << sim.out << sim.err;
    EXPECT_NE(sim.out.find("3 of 3 accepted"), std::string::npos) << sim.out;
    auto unknown = run(
        {vrnumd_path(), "simulate", "-c", file.string(), "--source", "nope", "--address", address});
    EXPECT_EQ(unknown.exit_code, 1);
    // Listed while the daemon runs (a second process reads the same store).
    auto list = run({vrnumd_path(), "messages", "list", "-c", file.string(), "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 3) << list.out;
    EXPECT_NE(list.out.find("Your demo code is"), std::string::npos);
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
    auto purge = run({vrnumd_path(), "purge", "-c", file.string()});
    EXPECT_EQ(purge.exit_code, 0);
    EXPECT_NE(purge.out.find("purged 0 messages older than 30 days"), std::string::npos)
        << purge.out;
    EXPECT_NE(purge.out.find("purged 0 sent or dead mails finished more than 30 days ago"),
              std::string::npos)
        << purge.out;
}

TEST(vrnumd_keys, rotate_then_restart_reseals_and_status_shows_it) {
    temp_dir dir;
    auto file = dir.write("vrnum.yaml", minimal_config);
    auto simulate = [&] {
        child_process p({vrnumd_path(), "serve", "-c", file.string()});
        std::string address = vrnum::test::start_daemon(p);
        EXPECT_FALSE(address.empty());
        auto sim = run({vrnumd_path(), "simulate", "-c", file.string(), "--source", "demo",
                        "--count", "2", "--address", address});
        EXPECT_EQ(sim.exit_code, 0) << sim.out << sim.err;
        p.signal(SIGTERM);
        EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
    };
    simulate();
    auto rotate = run({vrnumd_path(), "keys", "rotate", "-c", file.string()});
    EXPECT_EQ(rotate.exit_code, 0) << rotate.err;
    EXPECT_NE(rotate.out.find("added key "), std::string::npos) << rotate.out;
    // Before a restart the two old messages are still under the first key.
    auto before = run({vrnumd_path(), "keys", "status", "-c", file.string()});
    EXPECT_EQ(before.exit_code, 0) << before.err;
    EXPECT_TRUE(std::regex_search(before.out, std::regex(R"([0-9a-f]{8} +yes +2\n)")))
        << before.out;
    EXPECT_TRUE(std::regex_search(before.out, std::regex(R"([0-9a-f]{8} +yes +yes +0\n)")))
        << before.out;
    simulate();  // the restart re-seals, and new messages use the new key
    auto after = run({vrnumd_path(), "keys", "status", "-c", file.string()});
    EXPECT_TRUE(std::regex_search(after.out, std::regex(R"([0-9a-f]{8} +yes +0\n)"))) << after.out;
    EXPECT_TRUE(std::regex_search(after.out, std::regex(R"([0-9a-f]{8} +yes +yes +4\n)")))
        << after.out;
    auto list = run({vrnumd_path(), "messages", "list", "-c", file.string(), "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 4) << list.out;
    // The rotation is in the audit log.
    std::string logs;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "var/log")) {
        logs += read_file(e.path());
    }
    EXPECT_NE(logs.find("audit: keys rotate"), std::string::npos);
}

// An Ed25519 key made by the openssl command line: the PEM private key file and the
// base64 of the raw public key, as a telnyx source is configured with it.
std::pair<std::filesystem::path, std::string> openssl_ed25519(const temp_dir& dir,
                                                              const std::string& name) {
    auto pem = dir.path() / name;
    auto gen =
        run({"/bin/sh", "-c", "exec openssl genpkey -algorithm ed25519 -out \"$0\"", pem.string()});
    EXPECT_EQ(gen.exit_code, 0) << gen.err;
    auto b64 = run({"/bin/sh", "-c",
                    "openssl pkey -in \"$0\" -pubout -outform DER | tail -c 32 | base64 -w0",
                    pem.string()});
    EXPECT_EQ(b64.exit_code, 0) << b64.err;
    std::string raw = b64.out;
    while (!raw.empty() && raw.back() == '\n') {
        raw.pop_back();
    }
    return {pem, raw};
}

TEST(vrnumd_simulate, learns_every_kind) {
    temp_dir dir;
    auto [key, public_key] = openssl_ed25519(dir, "provider.pem");
    auto [other_key, other_public] = openssl_ed25519(dir, "other.pem");
    ASSERT_EQ(public_key.size(), 44u);
    std::string config = R"(server:
  listen: "127.0.0.1:0"
  public_base_url: "https://sms.example.com"
store:
  path: "var/vrnum.db"
sources:
  - { id: hm, kind: hmac, secret: "s-1", header: X-Signature }
  - { id: tw, kind: twilio, auth_token: "tw-token" }
  - { id: pl, kind: plivo, auth_token: "pl-token" }
  - { id: vn, kind: vonage, signature_secret: "vn-secret", signature_method: sha512hmac }
  - { id: sw, kind: standard-webhooks, secret: "whsec_c2VjcmV0LWJ5dGVzLWZvci1zdw==" }
  - { id: sk, kind: standard-webhooks, public_key: "whpk_)" +
                         public_key + R"(" }
  - { id: tx, kind: telnyx, public_key: ")" +
                         public_key + R"(" }
)";
    auto file = dir.write("vrnum.yaml", config);
    child_process p({vrnumd_path(), "serve", "-c", file.string()});
    std::string address = vrnum::test::start_daemon(p);
    ASSERT_FALSE(address.empty());
    auto simulate = [&](const std::string& id, const std::string& signing_key = "") {
        std::vector<std::string> args = {vrnumd_path(), "simulate", "-c",      file.string(),
                                         "--source",    id,         "--count", "2",
                                         "--address",   address};
        if (!signing_key.empty()) {
            args.insert(args.end(), {"--signing-key", signing_key});
        }
        return run(args);
    };
    for (std::string id : {"hm", "tw", "pl", "vn", "sw"}) {
        auto sim = simulate(id);
        EXPECT_EQ(sim.exit_code, 0) << id << sim.out << sim.err;
        EXPECT_NE(sim.out.find("2 of 2 accepted"), std::string::npos) << id << sim.out;
    }
    for (std::string id : {"sk", "tx"}) {
        auto without = simulate(id);
        EXPECT_EQ(without.exit_code, 1) << id;
        EXPECT_NE(without.err.find("--signing-key"), std::string::npos) << without.err;
        auto wrong = simulate(id, other_key.string());
        EXPECT_EQ(wrong.exit_code, 1) << id;
        EXPECT_NE(wrong.err.find("none of the source's public keys"), std::string::npos)
            << wrong.err;
        auto sim = simulate(id, key.string());
        EXPECT_EQ(sim.exit_code, 0) << id << sim.out << sim.err;
        EXPECT_NE(sim.out.find("2 of 2 accepted"), std::string::npos) << id << sim.out;
    }
    auto list = run({vrnumd_path(), "messages", "list", "-c", file.string(), "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    EXPECT_EQ(std::count(list.out.begin(), list.out.end(), '\n'), 14) << list.out;
    for (std::string id : {"hm", "tw", "pl", "vn", "sw", "sk", "tx"}) {
        EXPECT_NE(list.out.find("\"source\":\"" + id + "\""), std::string::npos) << id;
    }
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
