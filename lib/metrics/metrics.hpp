#pragma once
// The HTTP server's Prometheus metrics. Thread-safe (prometheus-cpp's families lock).

#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace vrnum::detail {

/// Requests by route template, method and status; latency by route; open connections.
class http_metrics {
  public:
    explicit http_metrics(prometheus::Registry& registry);

    void observe(std::string_view route, std::string_view method, unsigned status, double seconds);
    void connection_opened() { open_.Increment(); }
    void connection_closed() { open_.Decrement(); }
    void connection_refused() { refused_.Increment(); }

  private:
    // The series already made, by their label values: Family::Add builds a label map and
    // hashes it on every call, which a request should not pay. Bounded like the series are.
    struct series {
        prometheus::Counter* requests = nullptr;
        prometheus::Histogram* latency = nullptr;
    };
    series find_series(std::string_view route, std::string_view method, unsigned status);

    std::mutex cache_mutex_;
    std::unordered_map<std::string, series> cache_;
    prometheus::Family<prometheus::Counter>& requests_;
    prometheus::Family<prometheus::Histogram>& latency_;
    prometheus::Gauge& open_;
    prometheus::Counter& refused_;
};

/// The registry in Prometheus text exposition format (0.0.4).
std::string serialize_metrics(prometheus::Registry& registry);

}  // namespace vrnum::detail
