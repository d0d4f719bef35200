// libFuzzer target: the configuration loader must answer any bytes with a value or a
// config_error, never a crash, a hang, a leak or another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <vrnum/config.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string_view text(reinterpret_cast<const char*>(data), size);
    try {
        vrnum::config cfg = vrnum::config_loader{}.load_string(text, "fuzz.yaml", "/fuzz");
        (void)cfg;
    } catch (const vrnum::config_error&) {
    }
    return 0;
}
