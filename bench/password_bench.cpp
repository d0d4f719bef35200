// Password work per sign-up and login: argon2id at OWASP's parameters (19 MiB, t=2, p=1),
// and the dictionary check a new password goes through.

#include <benchmark/benchmark.h>

#include "accounts/password.hpp"

namespace {

using namespace vrnumd::accounts;

void argon2id_hash(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(hash_password("tangerine-Orbit-4417-mellow"));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(argon2id_hash)->Unit(benchmark::kMillisecond);

void argon2id_verify(benchmark::State& state) {
    std::string h = hash_password("tangerine-Orbit-4417-mellow");
    for (auto _ : state) {
        benchmark::DoNotOptimize(verify_password("tangerine-Orbit-4417-mellow", h));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(argon2id_verify)->Unit(benchmark::kMillisecond);

void dictionary_check(benchmark::State& state) {
    for (auto _ : state) {
        benchmark::DoNotOptimize(password_problem("tangerine-Orbit-4417-mellow", "k@example.com"));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(dictionary_check)->Unit(benchmark::kMicrosecond);

}  // namespace
