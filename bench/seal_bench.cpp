// Sealing cost per SMS text: AES-256-GCM with the counter nonce, row id and column as AAD.
#include <cstdint>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "crypto/seal.hpp"

namespace {

using vrnum::detail::keyring;

keyring::key bench_key() {
    keyring::key k{};
    for (std::size_t i = 0; i < k.size(); ++i) {
        k[i] = static_cast<std::uint8_t>(i * 7 + 3);
    }
    return k;
}

// A full single-part SMS: 160 GSM characters.
const std::string& sms_text() {
    static const std::string text = [] {
        std::string t =
            "Your verification code is 482913. It expires in 10 minutes. Do not share this code "
            "with anyone, including staff. If you did not ask for it, ignore this message.";
        t.resize(160, '.');
        return t;
    }();
    return text;
}

keyring& shared_ring() {
    static keyring ring({bench_key()});
    return ring;
}

void seal(benchmark::State& state) {
    const keyring& ring = shared_ring();
    const std::string& text = sms_text();
    std::int64_t row = 1;
    for (auto _ : state) {
        std::string env = ring.seal(text, row++, "text");
        benchmark::DoNotOptimize(env.data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(seal);
BENCHMARK(seal)->Threads(2)->UseRealTime();

void open(benchmark::State& state) {
    const keyring& ring = shared_ring();
    const std::string& text = sms_text();
    const std::string env = ring.seal(text, 42, "text");
    for (auto _ : state) {
        auto opened = ring.open(env, 42, "text");
        if (!opened) {
            state.SkipWithError("open failed");
            break;
        }
        benchmark::DoNotOptimize(opened->data());
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(text.size()));
}
BENCHMARK(open);

void blind_index(benchmark::State& state) {
    const keyring& ring = shared_ring();
    for (auto _ : state) {
        std::string index = ring.blind_index("alice.example@example.com");
        benchmark::DoNotOptimize(index.data());
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(blind_index);

}  // namespace
