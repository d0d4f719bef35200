// The generic `hmac` source on a typical ~200-byte webhook: verify (HMAC-SHA256, hex), parse
// (simdjson, JSON Pointers, UTF-8 check, E.164), and number normalisation alone.

#include <chrono>
#include <cstdint>
#include <string>

#include <benchmark/benchmark.h>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>

#include "normalize/normalize.hpp"
#include "sources/hmac_source.hpp"
#include "support/signing.hpp"

namespace {

const std::string body =
    R"({"id":"msg-0000000001","sender":"447700900001","recipient":"+372 555 00001",)"
    R"("message":"Your verification code is 123456. Do not share it. Код: 123456 👋",)"
    R"("sent_at":1700000000,"meta":{"network":"EE-01","segments":1}})";
const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

vrnum::source_config config() {
    vrnum::source_config cfg;
    cfg.id = "ys";
    cfg.secrets = {"a-demo-secret-of-reasonable-length"};
    cfg.header = "X-Signature";
    cfg.fields = {"/id", "/sender", "/recipient", "/message", "/sent_at"};
    return cfg;
}

std::string signature() {
    return vrnum::test::hmac_sha256_hex(config().secrets.front(), body);
}

void verify_sha256_hex(benchmark::State& state) {
    const vrnum::detail::hmac_source src(config());
    const std::string sig = signature();
    const vrnum::request_view req{"POST", "/webhooks/ys", {{"X-Signature", sig}}, body};
    for (auto _ : state) {
        auto ec = src.verify(req, "", now);
        benchmark::DoNotOptimize(ec);
        if (ec) {
            state.SkipWithError("signature did not verify");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(verify_sha256_hex);

void parse_json(benchmark::State& state) {
    const vrnum::detail::hmac_source src(config());
    const vrnum::request_view req{"POST", "/webhooks/ys", {}, body};
    for (auto _ : state) {
        auto r = src.parse(req, now);
        benchmark::DoNotOptimize(r);
        if (!r) {
            state.SkipWithError("body did not parse");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_json);

void normalize_numbers(benchmark::State& state) {
    for (auto _ : state) {
        auto a = vrnum::detail::normalize_number("+44 7700 900001");
        auto b = vrnum::detail::normalize_number("Google");
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(normalize_numbers);

}  // namespace
