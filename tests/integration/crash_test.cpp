// kill -9 under concurrent signed load, again and again: every message that got its 2xx is
// in the store exactly once after the restart, and the file passes PRAGMA integrity_check.
// The parts of a multipart SMS outlive a kill -9 too, and are joined in order.

#include <algorithm>
#include <atomic>
#include <map>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <signal.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>
#include <sqlite3.h>

#include <vrnum/store.hpp>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/signing.hpp"
#include "support/temp_dir.hpp"

namespace {

using vrnum::test::child_process;
using vrnum::test::http_connection;
using vrnum::test::temp_dir;

const std::string secret = "crash-test-secret";

std::string sign(const std::string& body) {
    return vrnum::test::hmac_sha256_hex(secret, body);
}

// Posts unique messages on one keep-alive connection until the server goes away (or a
// bound is reached); returns the ids that were acknowledged.
std::vector<std::string> load(const std::string& address, const std::string& prefix) {
    std::vector<std::string> acked;
    try {
        http_connection c(address);
        c.set_timeout(std::chrono::seconds(5));
        for (int i = 0; i < 20000; ++i) {
            std::string id = prefix + std::to_string(i);
            std::string body = R"({"id":")" + id +
                               R"(","from":"+447700900001","to":"+37255500001","text":"crash )" +
                               id + R"("})";
            std::string req =
                "POST /webhooks/demo HTTP/1.1\r\nHost: t\r\n"
                "Content-Type: application/json\r\nX-Signature: " +
                sign(body) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
                body;
            if (!c.send(req)) {
                break;
            }
            auto a = c.read();
            if (!a) {
                break;
            }
            if (a->status == 200) {
                acked.push_back(id);
            }
        }
    } catch (const std::exception&) {
        // connect refused after the kill: done
    }
    return acked;
}

std::string integrity_check(const std::filesystem::path& db_path) {
    sqlite3* db = nullptr;
    sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
    sqlite3_stmt* st = nullptr;
    sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &st, nullptr);
    std::string result;
    while (sqlite3_step(st) == SQLITE_ROW) {
        result += reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return result;
}

TEST(crash, kill_9_under_load_loses_no_acknowledged_message) {
    temp_dir dir;
    auto file = dir.write("vrnum.yaml", R"(server: { listen: "127.0.0.1:0" }
store: { path: "var/vrnum.db", synchronous: full }
log: { level: warn }
sources:
  - { id: demo, kind: hmac, secret: ")" + secret +
                                            R"(", header: X-Signature }
)");
    std::mt19937 rng(std::random_device{}());
    std::uniform_int_distribution<int> pause_ms(30, 400);
    std::set<std::string> all_acked;
    constexpr int cycles = 20;
    for (int cycle = 0; cycle < cycles; ++cycle) {
        SCOPED_TRACE("cycle " + std::to_string(cycle));
        std::vector<std::string> acked;
        {
            child_process p({vrnum::test::vrnumd_path(), "serve", "-c", file.string()});
            std::string error;
            std::string address = vrnum::test::start_daemon(p, &error);
            ASSERT_FALSE(address.empty()) << error;
            std::vector<std::vector<std::string>> per_thread(4);
            std::vector<std::thread> clients;
            for (int t = 0; t < 4; ++t) {
                clients.emplace_back([&, t] {
                    per_thread[t] =
                        load(address, "c" + std::to_string(cycle) + "-t" + std::to_string(t) + "-");
                });
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(pause_ms(rng)));
            p.signal(SIGKILL);
            EXPECT_EQ(p.wait(std::chrono::seconds(30)), -SIGKILL);
            for (auto& c : clients) {
                c.join();
            }
            for (auto& v : per_thread) {
                acked.insert(acked.end(), v.begin(), v.end());
            }
        }
        all_acked.insert(acked.begin(), acked.end());

        EXPECT_EQ(integrity_check(dir.path() / "var/vrnum.db"), "ok");
        vrnum::store_config sc;
        sc.path = dir.path() / "var/vrnum.db";
        sc.key_file = dir.path() / "var/master.key";
        auto st =
            vrnum::store::open(sc, {.logger = std::make_shared<spdlog::logger>(
                                        "crash", std::make_shared<spdlog::sinks::null_sink_mt>())});
        std::map<std::string, int> stored;
        std::int64_t cursor = 0;
        for (;;) {
            auto page = st->messages_after(cursor, 5000);
            if (page.empty()) {
                break;
            }
            for (const auto& m : page) {
                ++stored[m.provider_id];
                EXPECT_EQ(m.text, "crash " + m.provider_id);
            }
            cursor = page.back().id;
        }
        st->close();
        for (const auto& id : all_acked) {
            auto it = stored.find(id);
            ASSERT_NE(it, stored.end()) << "acknowledged but lost: " << id;
            EXPECT_EQ(it->second, 1) << id;
        }
    }
    EXPECT_GT(all_acked.size(), 0u);
    std::cout << "acknowledged and verified: " << all_acked.size() << " messages over " << cycles
              << " kills\n";
}

// A part of a multipart SMS as Vonage's SMS API posts it, signed md5hash as @vonage/sms
// checks it (written here with OpenSSL, not with the source's code).
std::string vonage_part(const std::string& secret_text, const std::string& id, int number,
                        const std::string& text) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    std::vector<std::pair<std::string, std::string>> params = {
        {"msisdn", "447700900001"},
        {"to", "37255500001"},
        {"messageId", id},
        {"text", text},
        {"type", "text"},
        {"message-timestamp", "2024-01-02 03:04:05"},
        {"timestamp", std::to_string(now)},
        {"concat", "true"},
        {"concat-ref", "208"},
        {"concat-total", "3"},
        {"concat-part", std::to_string(number)}};
    auto sorted = params;
    std::sort(sorted.begin(), sorted.end());
    std::string signed_string;
    for (const auto& [k, v] : sorted) {
        std::string value = v;
        std::replace(value.begin(), value.end(), '&', '_');
        std::replace(value.begin(), value.end(), '=', '_');
        signed_string += "&" + k + "=" + value;
    }
    params.emplace_back("sig",
                        vrnum::test::hex(vrnum::test::hash("MD5", signed_string + secret_text)));
    std::string body;
    for (const auto& [k, v] : params) {
        std::string enc;
        for (unsigned char c : v) {
            if (std::isalnum(c) || c == '-' || c == '.' || c == '_') {
                enc += static_cast<char>(c);
            } else {
                char buf[4];
                std::snprintf(buf, sizeof buf, "%%%02X", c);
                enc += buf;
            }
        }
        body += (body.empty() ? "" : "&") + k + "=" + enc;
    }
    return body;
}

std::string messages_json(const std::filesystem::path& config) {
    auto list = vrnum::test::run(
        {vrnum::test::vrnumd_path(), "messages", "list", "-c", config.string(), "--json"});
    EXPECT_EQ(list.exit_code, 0) << list.err;
    return list.out;
}

const std::string vonage_secret = "vonage-md5-secret";

// A daemon config with one vonage source `vn` (md5hash) and `extra` keys on it.
std::filesystem::path vonage_config(const temp_dir& dir, const std::string& extra) {
    return dir.write("vrnum.yaml", R"(server: { listen: "127.0.0.1:0" }
store: { path: "var/vrnum.db" }
log: { level: warn }
sources:
  - { id: vn, kind: vonage, signature_method: md5hash, signature_secret: ")" +
                                       vonage_secret + "\"" + extra + " }\n");
}

TEST(crash, multipart_parts_survive_kill_9_and_join_in_order) {
    temp_dir dir;
    auto file = vonage_config(dir, "");
    const std::string form = "application/x-www-form-urlencoded";
    auto post = [&](const std::string& address, int number, const std::string& text) {
        return vrnum::test::request(
            address, "POST", "/webhooks/vn",
            vonage_part(vonage_secret, "0A00000000000" + std::to_string(number), number, text),
            {{"Content-Type", form}});
    };
    {
        child_process p({vrnum::test::vrnumd_path(), "serve", "-c", file.string()});
        std::string address = vrnum::test::start_daemon(p);
        ASSERT_FALSE(address.empty());
        // Out of order: the third part first, then the first; each 200 means stored.
        auto third = post(address, 3, "and the third.");
        ASSERT_TRUE(third);
        EXPECT_EQ(third->status, 200u);
        auto first = post(address, 1, "The first part, ");
        ASSERT_TRUE(first);
        EXPECT_EQ(first->status, 200u);
        p.signal(SIGKILL);
        EXPECT_EQ(p.wait(std::chrono::seconds(30)), -SIGKILL);
    }
    EXPECT_EQ(messages_json(file), "");  // two parts are not a message yet
    child_process p({vrnum::test::vrnumd_path(), "serve", "-c", file.string()});
    std::string address = vrnum::test::start_daemon(p);
    ASSERT_FALSE(address.empty());
    auto second = post(address, 2, "then the second (ü), ");
    ASSERT_TRUE(second);
    EXPECT_EQ(second->status, 200u);
    auto again = post(address, 1, "The first part, ");  // a retry after the join
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200u);
    auto out = messages_json(file);
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(R"("text":"The first part, then the second (ü), and the third.")"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find(R"("partial":true)"), std::string::npos) << out;
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
}

TEST(crash, lone_part_becomes_partial_after_the_timeout) {
    temp_dir dir;
    auto file = vonage_config(dir, ", multipart_timeout_seconds: 1");
    child_process p({vrnum::test::vrnumd_path(), "serve", "-c", file.string()});
    std::string address = vrnum::test::start_daemon(p);
    ASSERT_FALSE(address.empty());
    auto a = vrnum::test::request(address, "POST", "/webhooks/vn",
                                  vonage_part(vonage_secret, "0A0000000000002", 2, "middle only"),
                                  {{"Content-Type", "application/x-www-form-urlencoded"}});
    ASSERT_TRUE(a);
    EXPECT_EQ(a->status, 200u);
    // Waiting is the point here: the bound is generous, the expected wait about a second.
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        out = messages_json(file);
        if (!out.empty()) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
    EXPECT_NE(out.find(R"("text":"middle only")"), std::string::npos) << out;
    EXPECT_NE(out.find(R"("partial":true)"), std::string::npos) << out;
    p.signal(SIGTERM);
    EXPECT_EQ(p.wait(std::chrono::seconds(30)), 0);
}

}  // namespace
