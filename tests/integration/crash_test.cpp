// kill -9 under concurrent signed load, again and again: every message that got its 2xx is
// in the store exactly once after the restart, and the file passes PRAGMA integrity_check.

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

}  // namespace
