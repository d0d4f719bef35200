#pragma once
// The operator's subcommands that work on the store directly, whether or not a daemon is
// running (SQLite's locking and busy timeout make a second process safe).

#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include <vrnum/store.hpp>

#include "config/daemon_config.hpp"

namespace spdlog {
class logger;
}

namespace vrnumd {

/// Filters of `vrnumd messages list`.
struct list_options {
    std::optional<std::string> source;
    std::optional<std::string> to;
    std::optional<std::string> since;  ///< RFC 3339
    bool json = false;
};

/// The logger of a one-off command: the same JSON-lines files as the server's.
std::shared_ptr<spdlog::logger> command_logger(const daemon_config& cfg);
/// One audit line: what an operator did, by whom, never the content it touched.
void audit(spdlog::logger& log, std::string_view what, boost::json::object fields);

/// The store for a one-off command, with every migration applied and no background re-seal.
std::shared_ptr<vrnum::store> open_command_store(const daemon_config& cfg,
                                                 std::shared_ptr<spdlog::logger> log);
/// `vrnumd migrate`: applies pending migrations; prints how many.
int run_migrate(const daemon_config& cfg, std::ostream& out);
/// `vrnumd messages list`: decrypted messages, oldest first, as a table or JSON lines (with
/// `"partial": true` for a multipart message stored without all its parts; `[partial]` before
/// its text in the table); logs an audit line (who asked for what, never the content).
int run_messages_list(const daemon_config& cfg, const list_options& opts, std::ostream& out,
                      std::ostream& err);
/// `vrnumd purge`: runs every retention job once and says what it removed.
int run_purge(const daemon_config& cfg, std::ostream& out);
/// `vrnumd keys rotate`: adds a new current key to `store.key_file` (the old ones stay to open
/// what they sealed); the daemon re-seals old rows after its next start. Logs an audit line.
int run_keys_rotate(const daemon_config& cfg, std::ostream& out);
/// `vrnumd keys status`: the key file's keys and how many rows (messages and multipart
/// parts) each one seals.
int run_keys_status(const daemon_config& cfg, std::ostream& out);

}  // namespace vrnumd
