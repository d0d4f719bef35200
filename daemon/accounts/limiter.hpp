#pragma once
/// \file
/// Rate limits of the auth routes (per client IP, per account): sliding windows counted per
/// key. Per-process state behind a small interface (DESIGN §3a), so a shared backend can
/// replace it when several processes serve one site.

#include <chrono>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace vrnumd::accounts {

/// Counts events per key in a sliding window. Safe from any thread.
class rate_limiter {
  public:
    using clock = std::chrono::steady_clock;
    virtual ~rate_limiter() = default;
    /// Counts one event for `key` unless `limit` events already fall within `window` of `now`:
    /// then nothing is counted and the answer is how long until one leaves the window.
    virtual std::optional<std::chrono::seconds> hit(std::string_view key, std::size_t limit,
                                                    std::chrono::seconds window,
                                                    clock::time_point now) = 0;
    /// As `hit`, without counting.
    virtual std::optional<std::chrono::seconds> check(std::string_view key, std::size_t limit,
                                                      std::chrono::seconds window,
                                                      clock::time_point now) = 0;
    /// Forgets `key`'s events (e.g. a login's failures after a success).
    virtual void reset(std::string_view key) = 0;
};

/// The in-process limiter: per key, the times of its last `limit` events. Keys whose events
/// have all left their window are swept once the table doubles in size, so memory follows
/// the keys active within a window.
class memory_rate_limiter final : public rate_limiter {
  public:
    std::optional<std::chrono::seconds> hit(std::string_view key, std::size_t limit,
                                            std::chrono::seconds window,
                                            clock::time_point now) override;
    std::optional<std::chrono::seconds> check(std::string_view key, std::size_t limit,
                                              std::chrono::seconds window,
                                              clock::time_point now) override;
    void reset(std::string_view key) override;
    /// Keys held now (for tests).
    std::size_t size() const;

  private:
    struct entry {
        std::deque<clock::time_point> times;  // oldest first, at most `limit`
        std::chrono::seconds window{0};
    };
    std::optional<std::chrono::seconds> look(std::string_view key, std::size_t limit,
                                             std::chrono::seconds window, clock::time_point now,
                                             bool count);
    void sweep(clock::time_point now);
    mutable std::mutex mutex_;
    std::unordered_map<std::string, entry> entries_;
    std::size_t sweep_at_ = 1024;
};

}  // namespace vrnumd::accounts
