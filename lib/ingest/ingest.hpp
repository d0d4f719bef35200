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

#include "log/log_limiter.hpp"

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
