#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <system_error>

#include <boost/json/serialize.hpp>
#include <spdlog/sinks/daily_file_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <vrnum/log.hpp>

#include "log/json_log.hpp"
#include "log/log_limiter.hpp"

namespace vrnum {
namespace fs = std::filesystem;

namespace detail {

namespace {

std::string utc_now() {
    auto now = std::chrono::system_clock::now();
    auto secs = std::chrono::system_clock::to_time_t(now);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[64];
    auto n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%03dZ", static_cast<int>(ms.count()));
    return buf;
}

}  // namespace

void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
               std::initializer_list<log_field> fields) {
    if (!log.should_log(level)) {
        return;
    }
    boost::json::object o;
    o["ts"] = utc_now();
    auto lv = spdlog::level::to_string_view(level);
    o["level"] = std::string_view(lv.data(), lv.size());
    o["msg"] = msg;
    for (const auto& f : fields) {
        o[f.key] = f.value;
    }
    log.log(level, "{}", boost::json::serialize(o));
}

bool log_limiter::allow(std::uint64_t& suppressed) {
    std::lock_guard lock(mutex_);
    auto now = std::chrono::steady_clock::now();
    if (now - window_start_ >= std::chrono::minutes(1)) {
        window_start_ = now;
        used_ = 0;
    }
    if (used_ >= per_minute_) {
        ++dropped_;
        return false;
    }
    ++used_;
    suppressed = std::exchange(dropped_, 0);
    return true;
}

}  // namespace detail

namespace {

// Removes vrnum_YYYY-MM-DD.log files from days before the retention window, also those the
// sink's own rotation does not know of (it tracks only files it saw while running).
void delete_old_logs(const fs::path& dir, unsigned retention_days) {
    auto cutoff = std::chrono::system_clock::now() - std::chrono::hours(24) * retention_days;
    auto t = std::chrono::system_clock::to_time_t(cutoff);
    std::tm tm{};
    localtime_r(&t, &tm);
    char oldest[64];
    std::strftime(oldest, sizeof oldest, "vrnum_%Y-%m-%d.log", &tm);
    std::error_code ec;
    for (const auto& e : fs::directory_iterator(dir, ec)) {
        std::string name = e.path().filename().string();
        // Names sort by date, so a plain comparison finds the ones before the window.
        if (name.size() == 20 && name.rfind("vrnum_", 0) == 0 && name < oldest) {
            fs::remove(e.path(), ec);
        }
    }
}

std::shared_ptr<spdlog::logger> finish(std::shared_ptr<spdlog::logger> log,
                                       const std::string& level) {
    log->set_pattern("%v");
    log->set_level(spdlog::level::from_str(level));
    log->flush_on(spdlog::level::warn);
    return log;
}

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const log_config& cfg, unsigned retention_days) {
    fs::create_directories(cfg.dir);
    delete_old_logs(cfg.dir, retention_days);
    std::vector<spdlog::sink_ptr> sinks;
    // max_files counts today's file too, so it holds exactly the retention window.
    auto max_files = static_cast<std::uint16_t>(std::min(retention_days + 1, 65535U));
    sinks.push_back(std::make_shared<spdlog::sinks::daily_file_sink_mt>(
        (cfg.dir / "vrnum.log").string(), 0, 0, false, max_files));
    if (cfg.to_stderr) {
        sinks.push_back(std::make_shared<spdlog::sinks::stderr_sink_mt>());
    }
    auto log = std::make_shared<spdlog::logger>("vrnum", sinks.begin(), sinks.end());
    // The periodic flusher serves registered loggers only.
    spdlog::drop("vrnum");
    spdlog::register_logger(log);
    spdlog::flush_every(std::chrono::seconds(1));
    return finish(std::move(log), cfg.level);
}

std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& level) {
    return finish(std::make_shared<spdlog::logger>(
                      "vrnum", std::make_shared<spdlog::sinks::stderr_sink_mt>()),
                  level);
}

}  // namespace vrnum
