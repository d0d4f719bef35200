#include <memory>
#include <stdexcept>
#include <string>

#include <vrnum/source.hpp>

#include "sources/hmac_source.hpp"
#include "sources/plivo_source.hpp"
#include "sources/standard_webhooks_source.hpp"
#include "sources/telnyx_source.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"

namespace vrnum {

std::unique_ptr<source> make_source(const source_config& cfg) {
    switch (cfg.kind) {
        case source_kind::hmac:
            return std::make_unique<detail::hmac_source>(cfg);
        case source_kind::twilio:
            return std::make_unique<detail::twilio_source>(cfg);
        case source_kind::plivo:
            return std::make_unique<detail::plivo_source>(cfg);
        case source_kind::telnyx:
            return std::make_unique<detail::telnyx_source>(cfg);
        case source_kind::standard_webhooks:
            return std::make_unique<detail::standard_webhooks_source>(cfg);
        case source_kind::vonage:
            return std::make_unique<detail::vonage_source>(cfg);
    }
    throw std::invalid_argument("unknown source kind");
}

}  // namespace vrnum
