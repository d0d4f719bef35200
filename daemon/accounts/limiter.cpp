#include "accounts/limiter.hpp"

namespace vrnumd::accounts {

std::optional<std::chrono::seconds> memory_rate_limiter::hit(std::string_view key,
                                                             std::size_t limit,
                                                             std::chrono::seconds window,
                                                             clock::time_point now) {
    return look(key, limit, window, now, true);
}

std::optional<std::chrono::seconds> memory_rate_limiter::check(std::string_view key,
                                                               std::size_t limit,
                                                               std::chrono::seconds window,
                                                               clock::time_point now) {
    return look(key, limit, window, now, false);
}

std::optional<std::chrono::seconds> memory_rate_limiter::look(std::string_view key,
                                                              std::size_t limit,
                                                              std::chrono::seconds window,
                                                              clock::time_point now, bool count) {
    std::lock_guard lock(mutex_);
    if (count && entries_.size() >= sweep_at_) {
        sweep(now);
    }
    auto it = entries_.find(std::string(key));
    if (it == entries_.end()) {
        if (!count || limit == 0) {
            return limit == 0 ? std::optional(window) : std::nullopt;
        }
        it = entries_.emplace(std::string(key), entry{}).first;
    }
    entry& e = it->second;
    e.window = std::max(e.window, window);
    while (!e.times.empty() && e.times.front() <= now - window) {
        e.times.pop_front();
    }
    if (e.times.size() >= limit) {
        // Whole seconds, rounded up: a client that waits that long gets through.
        auto left = e.times.empty() ? window : e.times.front() + window - now;
        auto secs = std::chrono::ceil<std::chrono::seconds>(left);
        return std::max(secs, std::chrono::seconds(1));
    }
    if (count) {
        e.times.push_back(now);
    }
    return std::nullopt;
}

void memory_rate_limiter::reset(std::string_view key) {
    std::lock_guard lock(mutex_);
    entries_.erase(std::string(key));
}

std::size_t memory_rate_limiter::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

void memory_rate_limiter::sweep(clock::time_point now) {
    std::erase_if(entries_, [now](const auto& kv) {
        const entry& e = kv.second;
        return e.times.empty() || e.times.back() <= now - e.window;
    });
    sweep_at_ = std::max<std::size_t>(1024, entries_.size() * 2);
}

}  // namespace vrnumd::accounts
