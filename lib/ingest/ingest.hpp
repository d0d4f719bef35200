#pragma once
// The webhook path after the HTTP server: verify, parse, append, answer (DESIGN §3 steps
// 4-7). One route per configured source, so an unknown source is a 404 before its body is
// read. Immutable after construction but for metrics and the log limiter; safe to share
// across I/O threads.

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <vrnum/http.hpp>
#include <vrnum/source.hpp>
#include <vrnum/store.hpp>

namespace spdlog {
class logger;
}
namespace prometheus {
class Registry;
template <class T>
class Family;
class Counter;
class Histogram;
}  // namespace prometheus

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

class ingest {
  public:
    ingest(std::vector<std::unique_ptr<source>> sources, std::shared_ptr<store> st,
           std::shared_ptr<spdlog::logger> log, prometheus::Registry& registry);

    /// The base URL schemes that sign the URL check against; set before serving.
    void set_base_url(std::string url) { base_url_ = std::move(url); }
    /// `POST /webhooks/<id>` for every source.
    std::vector<http::route> routes();

  private:
    /// What became of a webhook: the `outcome` label of `vrnum_webhooks_total`.
    enum outcome : std::size_t {
        accepted,
        duplicate,
        bad_signature,  // missing or wrong
        stale,
        malformed,
        too_large,
        unsupported_media_type,
        overloaded,
        unavailable,
        outcome_count
    };
    // Looked up once: a labelled metric costs a map search per use otherwise.
    struct source_metrics {
        std::array<prometheus::Counter*, outcome_count> outcomes{};
        prometheus::Histogram* latency = nullptr;
    };

    /// Verifies, parses and stores one webhook for `sources_[i]`; the answer of SPEC §1.
    boost::asio::awaitable<http::response> handle(std::size_t i, request_view req);
    http::response reject(std::size_t i, outcome why, errc code, std::string_view detail,
                          std::string_view cause = {});
    /// Counts, and logs at a bounded rate, a refusal with its reason class.
    void refused(std::size_t i, outcome why, std::string_view cause);

    std::vector<std::unique_ptr<source>> sources_;
    std::vector<source_metrics> metrics_;
    std::shared_ptr<store> store_;
    std::shared_ptr<spdlog::logger> log_;
    std::string base_url_;
    log_limiter limiter_{10};
};

}  // namespace vrnum::detail
