#include <string>

#include <boost/version.hpp>
#include <openssl/crypto.h>
#include <simdjson.h>
#include <spdlog/version.h>
#include <sqlite3.h>

#include <vrnum/version.hpp>

namespace vrnum {

const char* version() noexcept {
    return VRNUM_VERSION;
}

std::vector<std::pair<std::string, std::string>> component_versions() {
    auto dotted = [](int a, int b, int c) {
        return std::to_string(a) + "." + std::to_string(b) + "." + std::to_string(c);
    };
    return {
        {"vrnum", VRNUM_VERSION},
        {"boost", dotted(BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100)},
        {"openssl", OpenSSL_version(OPENSSL_VERSION_STRING)},
        {"sqlite", sqlite3_libversion()},
        {"simdjson", dotted(simdjson::SIMDJSON_VERSION_MAJOR, simdjson::SIMDJSON_VERSION_MINOR,
                            simdjson::SIMDJSON_VERSION_REVISION)},
        {"spdlog", dotted(SPDLOG_VER_MAJOR, SPDLOG_VER_MINOR, SPDLOG_VER_PATCH)},
    };
}

}  // namespace vrnum
