// Fuzzes the inbox's one-time code extraction with any SMS text: nothing may crash, and a
// code found is 4 to 8 digits, or 6 from the 3+3 shape, all of them in the text.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "numbers/one_time_code.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto code = vrnumd::numbers::one_time_code(text);
    if (code) {
        if (code->size() < 4 || code->size() > 8) {
            std::abort();
        }
        for (char c : *code) {
            if (c < '0' || c > '9') {
                std::abort();
            }
        }
        if (code->size() != 6 && text.find(*code) == std::string_view::npos) {
            std::abort();
        }
    }
    return 0;
}
