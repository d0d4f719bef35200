#include "support/gateway_fixture.hpp"

#include <condition_variable>
#include <mutex>
#include <optional>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <spdlog/logger.h>
#include <spdlog/sinks/ringbuffer_sink.h>

namespace vrnum::test {

struct running_gateway::state {
    boost::asio::io_context ioc{2};
    boost::asio::io_context second{1};  // the other thread's, with threading::per_thread
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>
        second_work;
    std::shared_ptr<spdlog::sinks::ringbuffer_sink_mt> sink =
        std::make_shared<spdlog::sinks::ringbuffer_sink_mt>(100000);
    std::mutex mutex;
    std::condition_variable cv;
    bool shutdown_started = false;
    bool drained = false;
};

config test_config() {
    config c;
    c.server.listen = "127.0.0.1:0";
    c.server.threads = 2;
    return c;
}

running_gateway::running_gateway(config cfg, std::vector<http::route> routes, bool keep_listen,
                                 threading model)
    : state_(std::make_shared<state>()) {
    if (!keep_listen) {
        cfg.server.listen = "127.0.0.1:0";
        if (!cfg.server.admin_listen.empty()) {
            cfg.server.admin_listen = "127.0.0.1:0";
        }
    }
    if (cfg.store.path.is_relative()) {
        cfg.store.path = dir_.path() / cfg.store.path;
        cfg.store.key_file = dir_.path() / cfg.store.key_file;
    }
    auto log = std::make_shared<spdlog::logger>("test", state_->sink);
    log->set_pattern("%v");
    log->set_level(spdlog::level::info);
    gateway_options opts{.logger = log};
    if (model == threading::per_thread) {
        opts.io_contexts = {&state_->ioc, &state_->second};
        state_->second_work.emplace(state_->second.get_executor());
    }
    gw_ = std::make_unique<gateway>(state_->ioc, std::move(cfg), std::move(opts));
    gw_->add_routes(std::move(routes));
    gw_->start();
    gw_->set_ready(true);
    threads_.emplace_back([s = state_] { s->ioc.run(); });
    threads_.emplace_back(
        [s = state_, model] { (model == threading::per_thread ? s->second : s->ioc).run(); });
}

running_gateway::~running_gateway() {
    begin_shutdown();
    if (!wait_drained(std::chrono::seconds(60))) {
        state_->ioc.stop();
    }
    state_->second_work.reset();
    state_->second.stop();
    for (auto& t : threads_) {
        t.join();
    }
}

void running_gateway::begin_shutdown() {
    {
        std::lock_guard lock(state_->mutex);
        if (state_->shutdown_started) {
            return;
        }
        state_->shutdown_started = true;
    }
    gw_->async_shutdown([s = state_] {
        s->second_work.reset();  // the drain is over: the second thread may finish
        std::lock_guard lock(s->mutex);
        s->drained = true;
        s->cv.notify_all();
    });
}

bool running_gateway::wait_drained(std::chrono::milliseconds timeout) {
    std::unique_lock lock(state_->mutex);
    return state_->cv.wait_for(lock, timeout, [this] { return state_->drained; });
}

std::vector<std::string> running_gateway::log_lines() const {
    return state_->sink->last_formatted();
}

}  // namespace vrnum::test
