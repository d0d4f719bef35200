#pragma once
/// \file
/// Blocking store jobs for the daemon's jobs and commands (never for I/O threads, nor from the
/// store's own threads): run one, wait for it, throw on failure.

#include <future>
#include <stdexcept>
#include <string>

#include <vrnum/store.hpp>

namespace vrnumd {

namespace detail {
// Starts a job through `start(done)` and waits for `done`'s code.
template <class Start>
boost::system::error_code wait_for_job(Start start) {
    std::promise<boost::system::error_code> done;
    auto f = done.get_future();
    start([&done](boost::system::error_code ec) { done.set_value(ec); });
    return f.get();
}
}  // namespace detail

/// Runs `fn` in a write transaction and waits for its commit; the store's code (a code that
/// `fn` threw as `boost::system::system_error` included, e.g. insufficient funds).
inline boost::system::error_code write_wait(vrnum::store& st, const vrnum::store::write_fn& fn) {
    return detail::wait_for_job([&](vrnum::store::write_handler h) { st.write(fn, std::move(h)); });
}

/// As `write_wait`, throwing std::runtime_error naming `what` when it failed (`fn`'s own
/// exception message is in the store's log).
inline void write_sync(vrnum::store& st, const vrnum::store::write_fn& fn, const char* what) {
    if (auto ec = write_wait(st, fn)) {
        throw std::runtime_error(std::string(what) + ": " + ec.message());
    }
}

/// Runs `fn` in a read transaction and waits; throws as `write_sync` does.
inline void read_sync(vrnum::store& st, const vrnum::store::read_fn& fn, const char* what) {
    auto ec =
        detail::wait_for_job([&](vrnum::store::read_handler h) { st.read(fn, std::move(h)); });
    if (ec) {
        throw std::runtime_error(std::string(what) + ": " + ec.message());
    }
}

}  // namespace vrnumd
