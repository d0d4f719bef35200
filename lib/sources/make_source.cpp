#include <memory>
#include <stdexcept>
#include <string>

#include <vrnum/source.hpp>

#include "sources/hmac_source.hpp"

namespace vrnum {

std::unique_ptr<source> make_source(const source_config& cfg) {
    switch (cfg.kind) {
        case source_kind::hmac:
            return std::make_unique<detail::hmac_source>(cfg);
        default:
            throw std::invalid_argument("source kind " + std::string(to_string(cfg.kind)) +
                                        " is not supported yet");
    }
}

}  // namespace vrnum
