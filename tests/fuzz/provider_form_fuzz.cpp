// Fuzzes the form-encoded provider paths (Twilio, Plivo, Vonage's SMS API as a POST form and
// as a GET query): the first line (within 256 bytes) is the request target, the rest the body.
// Verify and parse must never crash, a decoded form must survive a re-encoding unchanged, and the
// signed strings must build.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>

#include "sources/plivo_source.hpp"
#include "sources/source_util.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"

namespace {

vrnum::source_config config(vrnum::source_kind kind) {
    vrnum::source_config cfg;
    cfg.id = "fz";
    cfg.kind = kind;
    cfg.secrets = {"fuzz-token", "fuzz-token-2"};
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const vrnum::detail::twilio_source twilio(config(vrnum::source_kind::twilio));
    static const vrnum::detail::plivo_source plivo(config(vrnum::source_kind::plivo));
    static const vrnum::detail::vonage_source vonage(config(vrnum::source_kind::vonage));
    const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view target = "/webhooks/fz";
    std::string_view body = input;
    if (auto nl = input.substr(0, 256).find('\n'); nl != std::string_view::npos) {
        target = input.substr(0, nl);
        body = input.substr(nl + 1);
    }
    vrnum::request_view req{
        "POST",
        target,
        {{"Content-Type", "application/x-www-form-urlencoded"},
         {"X-Twilio-Signature", "GvWf1cFY/Q7PnoempGyD5oXAezc="},
         {"X-Plivo-Signature-V3", "a,b,ehV3IKhLysWBxC1sy8INm0qGoQYdYsHwuoKjsX7FsXc="},
         {"X-Plivo-Signature-V3-Nonce", "12345"}},
        body};
    (void)twilio.verify(req, "https://fuzz.example", now);
    (void)twilio.parse(req, now);
    (void)plivo.verify(req, "https://fuzz.example:8443/", now);
    (void)plivo.parse(req, now);
    (void)vonage.verify(req, "", now);
    (void)vonage.parse(req, now);
    const vrnum::request_view get{"GET", target, {}, body};
    (void)vonage.verify(get, "", now);
    (void)vonage.parse(get, now);
    (void)vrnum::detail::twilio_source::other_port_form(std::string("https://h") +
                                                        std::string(target));

    auto form = vrnum::detail::parse_form(body);
    if (form) {
        (void)vrnum::detail::twilio_source::signed_params(*form);
        (void)vrnum::detail::vonage_source::signed_string(*form);
        (void)vrnum::detail::plivo_source::v3_string(std::string("https://h") + std::string(target),
                                                     *form);
        auto again = vrnum::detail::parse_form(vrnum::detail::encode_form(*form));
        if (!again || *again != *form) {
            __builtin_trap();  // what we encode must decode to the same fields
        }
    }
    return 0;
}
