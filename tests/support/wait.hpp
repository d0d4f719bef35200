#pragma once
// Waiting in tests without sleeping blind, and reading what a stand-in server recorded.

#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>

namespace vrnum::test {

/// Polls `done` until it holds, at most `limit` (a generous bound: waiting is the point).
inline bool wait_for(const std::function<bool()>& done,
                     std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    auto end = std::chrono::steady_clock::now() + limit;
    while (!done()) {
        if (std::chrono::steady_clock::now() > end) {
            return false;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return true;
}

/// One JSON object per line of `file` (none when it does not exist yet).
inline std::vector<boost::json::object> read_json_lines(const std::filesystem::path& file) {
    std::vector<boost::json::object> out;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) {
        out.push_back(boost::json::parse(line).as_object());
    }
    return out;
}

}  // namespace vrnum::test
