#pragma once
// A store in a temporary directory, opened quietly: what the store tests share.

#include <filesystem>
#include <fstream>
#include <future>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include <vrnum/config.hpp>
#include <vrnum/store.hpp>

#include "support/temp_dir.hpp"

namespace vrnum::test {

/// A logger that drops everything.
inline std::shared_ptr<spdlog::logger> quiet_logger() {
    return std::make_shared<spdlog::logger>("test",
                                            std::make_shared<spdlog::sinks::null_sink_mt>());
}

/// A store configuration whose database and key file live under `dir`'s `var/`.
inline vrnum::store_config config_in(const temp_dir& dir) {
    vrnum::store_config c;
    c.path = dir.path() / "var/vrnum.db";
    c.key_file = dir.path() / "var/master.key";
    return c;
}

/// Opens the store of `c` with the quiet logger.
inline std::shared_ptr<vrnum::store> open_store(const vrnum::store_config& c) {
    return vrnum::store::open(c, {.logger = quiet_logger()});
}

/// The bytes of the file at `p` (empty when it cannot be read).
inline std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

/// Appends `m` and waits for its commit.
inline std::pair<boost::system::error_code, vrnum::append_result> append_sync(vrnum::store& s,
                                                                              vrnum::message m) {
    std::promise<std::pair<boost::system::error_code, vrnum::append_result>> p;
    auto f = p.get_future();
    s.append(std::move(m), [&p](boost::system::error_code ec, vrnum::append_result r) {
        p.set_value({ec, r});
    });
    return f.get();
}

/// Runs `fn` on the writer and waits for its commit.
inline boost::system::error_code write_sync(vrnum::store& s, vrnum::store::write_fn fn) {
    std::promise<boost::system::error_code> p;
    auto f = p.get_future();
    s.write(std::move(fn), [&p](boost::system::error_code ec) { p.set_value(ec); });
    return f.get();
}

/// Waits (bounded: 30 s) until no row of the store of `cfg` is sealed under `key_id`, as the
/// background re-seal does after a rotation; returns how many still are.
inline std::int64_t wait_resealed(const vrnum::store_config& cfg, std::uint32_t key_id) {
    std::int64_t left = -1;
    for (int i = 0; i < 300 && left != 0; ++i) {
        left = 0;
        for (const auto& k : vrnum::store::key_status(cfg)) {
            left += k.key_id == key_id ? k.rows : 0;
        }
        if (left != 0) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
    return left;
}

}  // namespace vrnum::test
