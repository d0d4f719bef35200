#include "periodic_job.hpp"

#include <pthread.h>
#include <spdlog/logger.h>

#include "log/json_log.hpp"

namespace vrnumd {

periodic_job::periodic_job(std::string name, std::chrono::milliseconds interval,
                           std::function<void(const std::stop_token&)> run,
                           std::shared_ptr<spdlog::logger> log)
    : name_(std::move(name)), interval_(interval), run_(std::move(run)), log_(std::move(log)) {
    thread_ = std::jthread([this](const std::stop_token& stop) { loop(stop); });
}

periodic_job::~periodic_job() {
    stop();
}

void periodic_job::stop() {
    thread_.request_stop();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void periodic_job::loop(const std::stop_token& stop) {
    std::string thread_name = ("vrnum-" + name_).substr(0, 15);  // the kernel's limit
    pthread_setname_np(pthread_self(), thread_name.c_str());
    while (!stop.stop_requested()) {
        try {
            run_(stop);
        } catch (const std::exception& e) {
            vrnum::detail::log_event(*log_, spdlog::level::err, "job failed",
                                     {{"job", name_}, {"error", e.what()}});
        }
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, stop, interval_, [] { return false; });
    }
}

}  // namespace vrnumd
