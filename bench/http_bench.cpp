// The HTTP front stages without sockets: the framing scan, the route look-up, and Beast's
// parse of a typical webhook request.

#include <benchmark/benchmark.h>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/framing.hpp"
#include "http/router.hpp"

namespace {

const std::string webhook =
    "POST /webhooks/demo HTTP/1.1\r\nHost: gateway.example\r\nUser-Agent: provider/1.0\r\n"
    "Content-Type: application/json\r\nX-Signature: "
    "5d41402abc4b2a76b9719d911017c5925d41402abc4b2a76b9719d911017c592\r\n"
    "Content-Length: 96\r\n\r\n" +
    std::string(
        R"({"id":"msg-000001","sender":"+447700900001","recipient":"+37255500001","message":"Code 123456"})")
        .substr(0, 96);

void scan_head(benchmark::State& state) {
    for (auto _ : state) {
        auto r = vrnum::detail::scan_request_head(webhook, 16384);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(webhook.size()));
}
BENCHMARK(scan_head);

void route_lookup(benchmark::State& state) {
    vrnum::detail::router r;
    for (const char* p : {"/healthz", "/readyz", "/metrics", "/webhooks/{id}", "/api/v1/me",
                          "/api/v1/numbers", "/api/v1/numbers/{id}", "/api/v1/messages",
                          "/api/v1/messages/{id}", "/api/v1/messages/stream"}) {
        r.add({"GET", p, nullptr});
        r.add({"POST", p, nullptr});
    }
    std::vector<std::string> segments;
    vrnum::detail::split_target("/webhooks/demo", segments);
    for (auto _ : state) {
        auto m = r.find("POST", segments);
        benchmark::DoNotOptimize(m);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(route_lookup);

void beast_parse(benchmark::State& state) {
    namespace bhttp = boost::beast::http;
    for (auto _ : state) {
        bhttp::request_parser<bhttp::string_body> p;
        p.eager(true);
        boost::beast::error_code ec;
        p.put(boost::asio::buffer(webhook), ec);
        benchmark::DoNotOptimize(p.get().body().data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(beast_parse);

}  // namespace
