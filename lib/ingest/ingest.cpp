#include "ingest/ingest.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <vrnum/error.hpp>

#include "log/json_log.hpp"

namespace vrnum::detail {
namespace net = boost::asio;

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

ingest::ingest(std::vector<std::unique_ptr<source>> sources, std::shared_ptr<store> st,
               std::shared_ptr<spdlog::logger> log, prometheus::Registry& registry)
    : sources_(std::move(sources)),
      store_(std::move(st)),
      log_(std::move(log)),
      outcomes_(prometheus::BuildCounter()
                    .Name("vrnum_webhooks_total")
                    .Help("Webhooks by source and outcome (accepted, duplicate, or the reason "
                          "they were refused)")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("vrnum_message_commit_latency_seconds")
                   .Help("From the provider's timestamp to the commit, by source")
                   .Register(registry)) {}

std::vector<http::route> ingest::routes() {
    std::vector<http::route> out;
    for (const auto& s : sources_) {
        const source* src = s.get();
        out.push_back({"POST", "/webhooks/" + std::string(src->id()),
                       [this, src](http::request& req) { return handle(*src, req.view()); }});
    }
    return out;
}

http::response ingest::reject(const source& src, errc code, std::string_view reason,
                              std::string_view detail) {
    outcomes_.Add({{"source", std::string(src.id())}, {"outcome", std::string(reason)}})
        .Increment();
    std::uint64_t suppressed = 0;
    if (limiter_.allow(suppressed)) {
        log_event(*log_, spdlog::level::warn, "webhook refused",
                  {{"source", src.id()}, {"reason", reason}, {"suppressed", suppressed}});
    }
    return http::error_response(code, detail);
}

net::awaitable<http::response> ingest::handle(const source& src, request_view req) {
    auto now = std::chrono::system_clock::now();
    if (auto ec = src.verify(req, base_url_, now)) {
        co_return reject(src, errc::bad_signature, "bad_signature",
                         "signature missing, wrong or outside the time window");
    }
    auto parsed = src.parse(req, now);
    if (!parsed) {
        co_return reject(src, errc::malformed, "malformed", "the body could not be read");
    }
    const std::string source_id(src.id());
    for (message& m : parsed->messages) {
        std::optional<unix_ms> sent_at = m.sent_at;
        auto [ec, result] =
            co_await store_->async_append(std::move(m), net::as_tuple(net::use_awaitable));
        if (ec) {
            auto r = reject(src, ec == errc::overloaded ? errc::overloaded : errc::unavailable,
                            ec == errc::overloaded ? "overloaded" : "unavailable",
                            "the message could not be stored; retry later");
            r.set("Retry-After", ec == errc::overloaded ? "1" : "5");
            co_return r;
        }
        outcomes_
            .Add({{"source", source_id}, {"outcome", result.duplicate ? "duplicate" : "accepted"}})
            .Increment();
        if (sent_at && !result.duplicate) {
            auto committed = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            static const prometheus::Histogram::BucketBoundaries buckets{
                0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 3600};
            latency_.Add({{"source", source_id}}, buckets)
                .Observe(static_cast<double>(std::max<unix_ms>(0, committed - *sent_at)) / 1000.0);
        }
    }
    co_return http::response{};
}

}  // namespace vrnum::detail
