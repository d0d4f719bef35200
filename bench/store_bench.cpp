// The store's append path: group commit at batch sizes 1, 16 and 256, synchronous=FULL and
// NORMAL, with 256 appends in flight (as many concurrent webhooks).

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>

#include <benchmark/benchmark.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/store.hpp>

namespace {

namespace fs = std::filesystem;

void append(benchmark::State& state) {
    fs::path dir = fs::temp_directory_path() / ("vrnum-store-bench-" + std::to_string(::getpid()));
    fs::remove_all(dir);
    vrnum::store_config cfg;
    cfg.path = dir / "bench.db";
    cfg.key_file = dir / "bench.key";
    cfg.batch_max = static_cast<std::size_t>(state.range(0));
    cfg.synchronous = state.range(1) ? vrnum::sync_mode::full : vrnum::sync_mode::normal;
    auto st =
        vrnum::store::open(cfg, {.logger = std::make_shared<spdlog::logger>(
                                     "bench", std::make_shared<spdlog::sinks::null_sink_mt>())});
    constexpr int in_flight = 256;
    std::mutex m;
    std::condition_variable cv;
    int pending = 0;
    std::int64_t n = 0;
    for (auto _ : state) {
        {
            std::unique_lock lock(m);
            cv.wait(lock, [&] { return pending < in_flight; });
            ++pending;
        }
        vrnum::message msg;
        msg.source = "bench";
        msg.provider_id = "b-" + std::to_string(n++);
        msg.from = "+447700900001";
        msg.to = "+37255500001";
        msg.text = "Your code is 123456. Do not share it with anyone.";
        msg.received_at = 1'700'000'000'000;
        st->append(std::move(msg), [&](boost::system::error_code, vrnum::append_result) {
            std::lock_guard lock(m);
            --pending;
            cv.notify_one();
        });
    }
    {
        std::unique_lock lock(m);
        cv.wait(lock, [&] { return pending == 0; });
    }
    state.SetItemsProcessed(state.iterations());
    st->close();
    st.reset();
    fs::remove_all(dir);
}
BENCHMARK(append)
    ->ArgsProduct({{1, 16, 256}, {1, 0}})
    ->ArgNames({"batch_max", "full"})
    ->UseRealTime()
    ->MinTime(2.0);

}  // namespace
