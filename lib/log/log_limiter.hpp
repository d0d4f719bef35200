#pragma once
// A budget for log lines about hostile input: a flood of bad requests is counted, not
// written line by line.

#include <chrono>
#include <cstdint>
#include <mutex>

namespace vrnum::detail {

/// Allows `per_minute` events a minute and counts the rest (for log lines on hostile input).
class log_limiter {
  public:
    explicit log_limiter(unsigned per_minute) : per_minute_(per_minute) {}
    /// True when this event may be logged; `suppressed` gets how many were dropped since the
    /// last one allowed.
    bool allow(std::uint64_t& suppressed);

  private:
    std::mutex mutex_;
    unsigned per_minute_;
    std::chrono::steady_clock::time_point window_start_{};
    unsigned used_ = 0;
    std::uint64_t dropped_ = 0;
};

}  // namespace vrnum::detail
