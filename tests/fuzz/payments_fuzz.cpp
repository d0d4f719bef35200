// Fuzzes the Cryptomus signature's PHP-compatible re-encoding with whatever a webhook body may
// hold. Nothing may crash, and what comes out is JSON again.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <simdjson.h>

#include "payments/php_json.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view body(reinterpret_cast<const char*>(data), size);
    auto out = vrnumd::payments::php_reencode(body, "sign");
    if (out) {
        simdjson::dom::parser p;
        if (p.parse(*out).error()) {
            std::abort();
        }
    }
    return 0;
}
