#pragma once
/// \file
/// A job the daemon runs by itself (SPEC §6): on a thread of its own, once at start and then
/// every `interval`, until stopped. A run that throws is logged; the next one goes ahead.

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace spdlog {
class logger;
}

namespace vrnumd {

/// Owns its thread; `stop` (or the destructor) waits for a run in progress to end.
class periodic_job {
  public:
    /// `run` gets the job's stop token: a long run should end early once it is requested.
    periodic_job(std::string name, std::chrono::milliseconds interval,
                 std::function<void(const std::stop_token&)> run,
                 std::shared_ptr<spdlog::logger> log);
    ~periodic_job();
    periodic_job(const periodic_job&) = delete;
    periodic_job& operator=(const periodic_job&) = delete;
    /// Ends the loop after the current run; idempotent.
    void stop();

  private:
    void loop(const std::stop_token& stop);
    std::string name_;
    std::chrono::milliseconds interval_;
    std::function<void(const std::stop_token&)> run_;
    std::shared_ptr<spdlog::logger> log_;
    std::mutex mutex_;
    std::condition_variable_any cv_;
    std::jthread thread_;
};

}  // namespace vrnumd
