#pragma once
// Structured log events: each one JSON object with time, level, message and fields. Log
// calls never carry a query string, a body or a secret; they go through these helpers.

#include <initializer_list>
#include <string_view>
#include <utility>

#include <boost/json/value.hpp>
#include <boost/json/value_from.hpp>
#include <spdlog/logger.h>

namespace vrnum::detail {

/// One field of a log event: a key and any value Boost.JSON can convert.
struct log_field {
    template <class T>
    log_field(std::string_view k, T&& v)
        : key(k), value(boost::json::value_from(std::forward<T>(v))) {}
    std::string_view key;
    boost::json::value value;
};

/// Logs `msg` with `fields` at `level` as one JSON line (cheap when the level is off).
void log_event(spdlog::logger& log, spdlog::level::level_enum level, std::string_view msg,
               std::initializer_list<log_field> fields = {});

}  // namespace vrnum::detail
