// The inbox's routing hook on the append path: appends with 256 in flight at batch 256
// (synchronous=FULL), without the hook, and with it over 10,000 numbers of which 5,000 are
// rented (every message addressed to a rented number, so each append also writes its inbox
// row).

#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <benchmark/benchmark.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/store.hpp>

#include "numbers/inbox.hpp"
#include "numbers/rentals.hpp"
#include "schema.hpp"
#include "store_sync.hpp"

namespace {

namespace fs = std::filesystem;

std::string number_of(int i) {
    return "+3725" + std::to_string(5000000 + i);
}

void append_routed(benchmark::State& state) {
    bool hook = state.range(0) != 0;
    fs::path dir =
        fs::temp_directory_path() / ("vrnum-numbers-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    vrnum::store_config cfg;
    cfg.path = dir / "bench.db";
    cfg.key_file = dir / "bench.key";
    auto st =
        vrnum::store::open(cfg, {.logger = std::make_shared<spdlog::logger>(
                                     "bench", std::make_shared<spdlog::sinks::null_sink_mt>()),
                                 .migrations = vrnumd::daemon_migrations(),
                                 .sealed = vrnumd::daemon_sealed_tables()});
    constexpr int numbers = 10000;
    vrnumd::write_sync(
        *st,
        [&](vrnum::write_txn& txn) {
            std::vector<vrnumd::pool_number> pool;
            for (int i = 0; i < numbers; ++i) {
                pool.push_back({number_of(i), "EE"});
            }
            vrnumd::numbers::sync_pool(txn, pool, 0);
            for (int i = 0; i < numbers / 2; ++i) {
                auto n = vrnumd::numbers::take_free_number(txn, "EE", 0);
                vrnumd::numbers::add_rental(txn, 1 + i, n, "EE", 30, 500, false, 4'000'000'000'000,
                                            0);
            }
        },
        "bench setup");
    if (hook) {
        st->on_append([](vrnum::write_txn& txn, const vrnum::stored_message& m) {
            vrnumd::numbers::route_message(txn, m);
        });
    }
    constexpr int in_flight = 256;
    std::mutex mu;
    std::condition_variable cv;
    int pending = 0;
    std::int64_t n = 0;
    for (auto _ : state) {
        {
            std::unique_lock lock(mu);
            cv.wait(lock, [&] { return pending < in_flight; });
            ++pending;
        }
        vrnum::message msg;
        msg.source = "bench";
        msg.provider_id = "b-" + std::to_string(n);
        msg.from = "+447700900001";
        msg.to = number_of(static_cast<int>(n++ % (numbers / 2)));
        msg.text = "Your code is 123456. Do not share it with anyone.";
        msg.received_at = 1'700'000'000'000;
        st->append(std::move(msg), [&](boost::system::error_code, vrnum::append_result) {
            std::lock_guard lock(mu);
            --pending;
            cv.notify_one();
        });
    }
    {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return pending == 0; });
    }
    state.SetItemsProcessed(state.iterations());
    st->close();
    st.reset();
    fs::remove_all(dir);
}
BENCHMARK(append_routed)->Arg(0)->Arg(1)->ArgNames({"hook"})->UseRealTime()->MinTime(2.0);

}  // namespace
