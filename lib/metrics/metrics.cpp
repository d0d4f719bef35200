#include "metrics/metrics.hpp"

#include <algorithm>

#include <prometheus/text_serializer.h>

namespace vrnum::detail {

http_metrics::http_metrics(prometheus::Registry& registry)
    : requests_(prometheus::BuildCounter()
                    .Name("vrnum_http_requests_total")
                    .Help("HTTP requests answered, by route template, method and status")
                    .Register(registry)),
      latency_(prometheus::BuildHistogram()
                   .Name("vrnum_http_request_duration_seconds")
                   .Help("Time from a request's complete head to its answer, by route")
                   .Register(registry)),
      open_(prometheus::BuildGauge()
                .Name("vrnum_http_open_connections")
                .Help("Client connections currently open")
                .Register(registry)
                .Add({})),
      refused_(prometheus::BuildCounter()
                   .Name("vrnum_http_connections_refused_total")
                   .Help("Connections closed at once because server.max_connections was reached")
                   .Register(registry)
                   .Add({})) {}

void http_metrics::observe(std::string_view route, std::string_view method, unsigned status,
                           double seconds) {
    // Methods come from clients: label the standard ones only, so the series stay bounded.
    static constexpr std::string_view known[] = {"GET",   "HEAD",   "POST",   "PUT",
                                                 "PATCH", "DELETE", "OPTIONS"};
    if (std::find(std::begin(known), std::end(known), method) == std::end(known)) {
        method = "other";
    }
    series s = find_series(route, method, status);
    s.requests->Increment();
    s.latency->Observe(seconds);
}

http_metrics::series http_metrics::find_series(std::string_view route, std::string_view method,
                                               unsigned status) {
    std::string key;
    key.reserve(route.size() + method.size() + 5);
    key.append(route).append(1, '\0').append(method).append(1, '\0');
    key.append(std::to_string(status));
    std::lock_guard lock(cache_mutex_);
    auto it = cache_.find(key);
    if (it != cache_.end()) {
        return it->second;
    }
    static const prometheus::Histogram::BucketBoundaries buckets{
        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
    series s{&requests_.Add({{"route", std::string(route)},
                             {"method", std::string(method)},
                             {"status", std::to_string(status)}}),
             &latency_.Add({{"route", std::string(route)}}, buckets)};
    cache_.emplace(std::move(key), s);
    return s;
}

std::string serialize_metrics(prometheus::Registry& registry) {
    return prometheus::TextSerializer().Serialize(registry.Collect());
}

}  // namespace vrnum::detail
