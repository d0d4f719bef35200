#pragma once
/// \file
/// Store jobs awaited from a request handler's coroutine: the job runs on the store's own
/// threads, the handler resumes with its code (a code `fn` threw as
/// `boost::system::system_error` included).

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <vrnum/store.hpp>

namespace vrnumd {

/// Runs `fn` on a read connection.
inline boost::asio::awaitable<boost::system::error_code> read_job(vrnum::store& st,
                                                                  vrnum::store::read_fn fn) {
    auto [ec] =
        co_await st.async_read(std::move(fn), boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return ec;
}

/// Runs `fn` in a write transaction; returns after its commit.
inline boost::asio::awaitable<boost::system::error_code> write_job(vrnum::store& st,
                                                                   vrnum::store::write_fn fn) {
    auto [ec] =
        co_await st.async_write(std::move(fn), boost::asio::as_tuple(boost::asio::use_awaitable));
    co_return ec;
}

}  // namespace vrnumd
