// vrnumd's mail under kill -9: a mail queued (by `vrnumd mail test`, a second process) and
// not yet accepted by SES when the daemon dies is sent once after the restart, and a mail
// recorded as sent is not sent again by the next start.

#include <fstream>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>

#include "support/fake_ses.hpp"
#include "support/http_client.hpp"
#include "support/mail_helpers.hpp"
#include "support/process.hpp"

namespace {

using namespace vrnum::test;

// A daemon on an ephemeral port with its store and log under the config's folder.
std::string server_config(const std::string& public_base_url = "") {
    return R"(server:
  listen: "127.0.0.1:0"
  public_base_url: ")" +
           public_base_url + R"("
store:
  path: "var/vrnum.db"
log:
  dir: "var/log"
sources:
  - { id: demo, kind: hmac, secret: "test-secret", header: X-Signature }
)";
}

// The same, sending mail through the stand-in SES at `endpoint`, trusting `ca`.
std::string config_text(const std::string& endpoint, const std::filesystem::path& ca) {
    return server_config() + R"(http_client:
  ca_file: ")" +
           ca.string() +
           R"("
  timeout_seconds: 3
mail:
  transport: ses
  from: "VRNUM <no-reply@example.com>"
  ses:
    region: eu-west-1
    access_key_id: ")" +
           access_key + R"("
    secret_access_key: ")" +
           secret_key + R"("
    endpoint: ")" +
           endpoint + R"("
)";
}

std::size_t accepted(const fake_ses& ses) {
    std::size_t n = 0;
    for (const auto& r : ses.requests()) {
        n += r.at("status").as_int64() == 200 ? 1 : 0;
    }
    return n;
}

TEST(mail_daemon, a_mail_cut_off_by_kill_9_is_sent_once_after_the_restart) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_ses ses(dir, cert, "503");  // the first attempt fails; the daemon dies before its retry
    auto cfg = dir.write("vrnum.yaml", config_text(ses.endpoint(), cert.cert));

    // Queued while no daemon runs.
    auto queued =
        run({vrnumd_path(), "mail", "test", "-c", cfg.string(), "--to", "someone@example.com"});
    ASSERT_EQ(queued.exit_code, 0) << queued.err;
    EXPECT_NE(queued.out.find("queued mail 1"), std::string::npos) << queued.out;

    {
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        ASSERT_FALSE(start_daemon(d).empty()) << d.stderr_text();
        ASSERT_TRUE(wait_for([&] { return ses.requests().size() == 1; }));
        d.signal(SIGKILL);
        d.wait(std::chrono::seconds(10));
    }
    EXPECT_EQ(accepted(ses), 0u);
    auto status = run({vrnumd_path(), "mail", "status", "-c", cfg.string()});
    EXPECT_NE(status.out.find("queued 1, sent 0, dead 0"), std::string::npos) << status.out;

    {
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        ASSERT_FALSE(start_daemon(d).empty()) << d.stderr_text();
        // The retry is due 5-10 s after the failed attempt.
        ASSERT_TRUE(wait_for([&] { return accepted(ses) == 1; }, std::chrono::seconds(40)));
        ASSERT_TRUE(wait_for([&] {
            return run({vrnumd_path(), "mail", "status", "-c", cfg.string()})
                       .out.find("queued 0, sent 1, dead 0") != std::string::npos;
        }));
        d.signal(SIGKILL);
        d.wait(std::chrono::seconds(10));
    }
    {
        // A start after the mail was recorded as sent sends nothing.
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        std::string address = start_daemon(d);
        ASSERT_FALSE(address.empty()) << d.stderr_text();
        auto more =
            run({vrnumd_path(), "mail", "test", "-c", cfg.string(), "--to", "second@example.com"});
        ASSERT_EQ(more.exit_code, 0) << more.err;
        ASSERT_TRUE(wait_for([&] { return accepted(ses) == 2; }));
        ASSERT_TRUE(wait_for([&] {
            auto m = request(address, "GET", "/metrics");
            return m && m->body.find(
                            "vrnum_mail_attempts_total{outcome=\"sent\",transport=\"ses\"} 1") !=
                            std::string::npos;
        }));
        d.signal(SIGTERM);
        EXPECT_EQ(d.wait(std::chrono::seconds(30)), 0);
    }
    auto reqs = ses.requests();
    ASSERT_EQ(reqs.size(), 3u);
    EXPECT_EQ(reqs[0].at("status").as_int64(), 503);
    EXPECT_EQ(boost::json::serialize(reqs[1].at("to")), R"(["someone@example.com"])");
    EXPECT_EQ(boost::json::serialize(reqs[2].at("to")), R"(["second@example.com"])");

    // Neither address is in the database or its WAL, and the log names mails by id only.
    for (const char* f : {"var/vrnum.db", "var/vrnum.db-wal"}) {
        std::string bytes = file_bytes(dir.path() / f);
        EXPECT_EQ(bytes.find("someone@example.com"), std::string::npos) << f;
        EXPECT_EQ(bytes.find("second@example.com"), std::string::npos) << f;
    }
    std::string logs;
    for (const auto& e : std::filesystem::directory_iterator(dir.path() / "var/log")) {
        logs += file_bytes(e.path());
    }
    // The last run ended with SIGTERM, which flushes the log (a kill -9 may lose its tail).
    EXPECT_NE(logs.find("\"msg\":\"mail sent\",\"mail_id\":2"), std::string::npos) << logs;
    EXPECT_EQ(logs.find("someone@example.com"), std::string::npos);
    EXPECT_EQ(logs.find("second@example.com"), std::string::npos);
}

}  // namespace

namespace {

TEST(mail_daemon, sigterm_during_a_send_records_it_and_the_next_start_does_not_resend) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_ses ses(dir, cert, "1200");  // the first mail takes SES 2 s to accept
    auto cfg = dir.write("vrnum.yaml", config_text(ses.endpoint(), cert.cert));
    ASSERT_EQ(
        run({vrnumd_path(), "mail", "test", "-c", cfg.string(), "--to", "a@example.com"}).exit_code,
        0);
    {
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        ASSERT_FALSE(start_daemon(d).empty()) << d.stderr_text();
        ASSERT_TRUE(wait_for([&] { return ses.in_flight(); }));
        d.signal(SIGTERM);  // while SES is still answering
        EXPECT_EQ(d.wait(std::chrono::seconds(30)), 0) << d.stderr_text();
    }
    EXPECT_EQ(accepted(ses), 1u);
    auto status = run({vrnumd_path(), "mail", "status", "-c", cfg.string()});
    EXPECT_NE(status.out.find("queued 0, sent 1, dead 0"), std::string::npos) << status.out;
    {
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        ASSERT_FALSE(start_daemon(d).empty()) << d.stderr_text();
        std::this_thread::sleep_for(std::chrono::seconds(2));  // more than a poll: nothing due
        d.signal(SIGTERM);
        EXPECT_EQ(d.wait(std::chrono::seconds(30)), 0);
    }
    EXPECT_EQ(ses.requests().size(), 1u);
}

}  // namespace

namespace {

TEST(mail_daemon, the_file_transport_warns_when_links_point_off_this_machine) {
    auto warned = [](const std::string& base_url) {
        temp_dir dir;
        auto cfg = dir.write("vrnum.yaml", server_config(base_url));
        child_process d({vrnumd_path(), "serve", "-c", cfg.string()});
        EXPECT_FALSE(start_daemon(d).empty()) << d.stderr_text();
        d.signal(SIGTERM);
        EXPECT_EQ(d.wait(std::chrono::seconds(30)), 0);
        std::string logs;
        for (const auto& e : std::filesystem::directory_iterator(dir.path() / "var/log")) {
            logs += file_bytes(e.path());
        }
        return logs.find("never leaves this machine") != std::string::npos;
    };
    EXPECT_TRUE(warned("https://sms.example.com"));
    EXPECT_FALSE(warned("http://127.0.0.1:8080"));
}

}  // namespace
