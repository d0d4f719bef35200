#include <chrono>
#include <ctime>
#include <fstream>
#include <sstream>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>
#include <spdlog/logger.h>

#include <vrnum/log.hpp>

#include "log/json_log.hpp"
#include "support/temp_dir.hpp"

namespace {

namespace fs = std::filesystem;

std::string day_name(int days_ago) {
    auto t = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() -
                                                  std::chrono::hours(24) * days_ago);
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, "vrnum_%Y-%m-%d.log", &tm);
    return buf;
}

TEST(make_logger, deletes_files_older_than_the_retention) {
    vrnum::test::temp_dir dir;
    for (int days : {0, 1, 89, 90, 91, 400}) {
        dir.write("log/" + day_name(days), "{}\n");
    }
    dir.write("log/other.txt", "kept");
    vrnum::log_config cfg;
    cfg.dir = dir.path() / "log";
    auto log = vrnum::make_logger(cfg, 90);
    EXPECT_TRUE(fs::exists(cfg.dir / day_name(0)));
    EXPECT_TRUE(fs::exists(cfg.dir / day_name(89)));
    EXPECT_TRUE(fs::exists(cfg.dir / day_name(90)));
    EXPECT_FALSE(fs::exists(cfg.dir / day_name(91)));
    EXPECT_FALSE(fs::exists(cfg.dir / day_name(400)));
    EXPECT_TRUE(fs::exists(cfg.dir / "other.txt"));
}

TEST(log_event, writes_one_json_object_a_line) {
    vrnum::test::temp_dir dir;
    vrnum::log_config cfg;
    cfg.dir = dir.path();
    auto log = vrnum::make_logger(cfg, 7);
    vrnum::detail::log_event(*log, spdlog::level::info, "hello \"quoted\"\n",
                             {{"route", "/webhooks/{id}"}, {"status", 200u}, {"ok", true}});
    vrnum::detail::log_event(*log, spdlog::level::debug, "filtered out");
    log->flush();
    std::ifstream in(dir.path() / day_name(0));
    std::string line;
    ASSERT_TRUE(std::getline(in, line));
    auto v = boost::json::parse(line).as_object();
    EXPECT_EQ(v.at("msg").as_string(), "hello \"quoted\"\n");
    EXPECT_EQ(v.at("level").as_string(), "info");
    EXPECT_EQ(v.at("route").as_string(), "/webhooks/{id}");
    EXPECT_EQ(v.at("status").to_number<std::uint64_t>(), 200u);
    EXPECT_TRUE(v.at("ok").as_bool());
    EXPECT_EQ(v.at("ts").as_string().size(), 24u);  // 2026-01-02T03:04:05.678Z
    EXPECT_FALSE(std::getline(in, line));
}

}  // namespace
