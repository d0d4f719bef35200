// What every authenticated request pays before its handler: the session's look-up on a read
// connection (hash the cookie, one indexed row), or the API key's; and what the auth routes
// pay for the rate limiter and for minting secrets.

#include <benchmark/benchmark.h>

#include <filesystem>
#include <future>
#include <random>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/store.hpp>

#include "accounts/account_store.hpp"
#include "accounts/credential_store.hpp"
#include "accounts/limiter.hpp"
#include "accounts/secrets.hpp"
#include "schema.hpp"
#include "store_sync.hpp"

namespace {

using namespace vrnumd::accounts;

// A store with `accounts` accounts, a session and a key each, in a fresh directory.
struct populated_store {
    std::filesystem::path dir;
    std::shared_ptr<vrnum::store> st;
    std::vector<std::string> sessions, keys;

    explicit populated_store(int accounts) {
        dir = std::filesystem::temp_directory_path() /
              ("vrnum-accounts-bench-" + std::to_string(std::random_device{}()));
        vrnum::store_config cfg;
        cfg.path = dir / "vrnum.db";
        cfg.key_file = dir / "master.key";
        cfg.synchronous = vrnum::sync_mode::normal;
        auto log = std::make_shared<spdlog::logger>(
            "bench", std::make_shared<spdlog::sinks::null_sink_mt>());
        st = vrnum::store::open(cfg, {.logger = log,
                                      .migrations = vrnumd::daemon_migrations(),
                                      .sealed = vrnumd::daemon_sealed_tables()});
        vrnumd::write_sync(
            *st,
            [&](vrnum::write_txn& txn) {
                for (int i = 0; i < accounts; ++i) {
                    auto id = create_account(txn, "user" + std::to_string(i) + "@example.com",
                                             "$argon2id$bench", std::nullopt, 0);
                    sessions.push_back(create_session(txn, *id, 0, 1LL << 50).id);
                    keys.push_back(create_api_key(txn, *id, "bench", 0).second);
                }
            },
            "populate");
    }
    ~populated_store() {
        st->close();
        std::filesystem::remove_all(dir);
    }
};

void session_lookup(benchmark::State& state) {
    populated_store p(static_cast<int>(state.range(0)));
    std::size_t i = 0;
    for (auto _ : state) {
        std::optional<session_info> s;
        const std::string& id = p.sessions[i++ % p.sessions.size()];
        vrnumd::read_sync(
            *p.st, [&](vrnum::read_txn& txn) { s = find_session(txn, id, 1, 1LL << 50); },
            "lookup");
        benchmark::DoNotOptimize(s);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(session_lookup)->Arg(1000)->Arg(10000)->UseRealTime();

void api_key_lookup(benchmark::State& state) {
    populated_store p(static_cast<int>(state.range(0)));
    std::size_t i = 0;
    for (auto _ : state) {
        std::optional<api_key_use> k;
        const std::string& key = p.keys[i++ % p.keys.size()];
        vrnumd::read_sync(
            *p.st, [&](vrnum::read_txn& txn) { k = find_api_key(txn, key); }, "lookup");
        benchmark::DoNotOptimize(k);
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(api_key_lookup)->Arg(10000)->UseRealTime();

void rate_limiter_hit(benchmark::State& state) {
    memory_rate_limiter l;
    std::vector<std::string> keys;
    for (int i = 0; i < 10000; ++i) {
        keys.push_back("ip:10.0." + std::to_string(i / 256) + "." + std::to_string(i % 256));
    }
    auto t = rate_limiter::clock::now();
    std::size_t i = 0;
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            l.hit(keys[i++ % keys.size()], 1000000, std::chrono::seconds(60), t));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(rate_limiter_hit);

void mint_secret(benchmark::State& state) {
    for (auto _ : state) {
        std::string s = random_secret();
        benchmark::DoNotOptimize(secret_hash(s));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(mint_secret);

}  // namespace
