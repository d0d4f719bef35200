#pragma once
/// \file
/// The JSON-lines logger the daemon uses; embedders may pass their own spdlog logger instead.

#include <memory>

#include <vrnum/config.hpp>

namespace spdlog {
class logger;
}

namespace vrnum {

/// A logger writing one JSON object a line to `<log.dir>/vrnum_YYYY-MM-DD.log`, rotated at
/// midnight, keeping `retention_days` files (older ones are deleted at start and at each
/// rotation), plus stderr when `log.stderr` is set. Creates the directory. Thread-safe.
std::shared_ptr<spdlog::logger> make_logger(const log_config& cfg, unsigned retention_days);

/// A logger that writes JSON lines to stderr only (commands other than `serve`).
std::shared_ptr<spdlog::logger> make_stderr_logger(const std::string& level);

}  // namespace vrnum
