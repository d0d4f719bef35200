// Fuzzes the JSON provider paths (Telnyx, Standard Webhooks, Twilio's JSON variant, Vonage's
// SMS API JSON and Messages API bodies): the
// first line (within 256 bytes) feeds the signature and timestamp headers, the rest is the
// body. Verify and parse must never crash; parse runs whatever verify answers.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>

#include "sources/standard_webhooks_source.hpp"
#include "sources/telnyx_source.hpp"
#include "sources/twilio_source.hpp"
#include "sources/vonage_source.hpp"

namespace {

vrnum::source_config config(vrnum::source_kind kind) {
    vrnum::source_config cfg;
    cfg.id = "fz";
    cfg.kind = kind;
    if (kind == vrnum::source_kind::telnyx) {
        cfg.public_keys = {"11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="};
    } else if (kind == vrnum::source_kind::standard_webhooks) {
        cfg.secrets = {"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"};
        cfg.public_keys = {"whpk_11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="};
        cfg.fields = {"/id", "/data/from", "/data/to/0", "/data/text", "/data/sent_at"};
    } else {
        cfg.secrets = {"fuzz-token"};
    }
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const vrnum::detail::telnyx_source telnyx(config(vrnum::source_kind::telnyx));
    static const vrnum::detail::standard_webhooks_source sw(
        config(vrnum::source_kind::standard_webhooks));
    static const vrnum::detail::twilio_source twilio(config(vrnum::source_kind::twilio));
    static const vrnum::detail::vonage_source vonage(config(vrnum::source_kind::vonage));
    const std::chrono::system_clock::time_point now{std::chrono::seconds(1614265330)};

    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view line;
    std::string_view body = input;
    if (auto nl = input.substr(0, 256).find('\n'); nl != std::string_view::npos) {
        line = input.substr(0, nl);
        body = input.substr(nl + 1);
    }
    vrnum::request_view req{"POST",
                            "/webhooks/fz?bodySHA256=00",
                            {{"Content-Type", "application/json"},
                             {"telnyx-signature-ed25519", line},
                             {"telnyx-timestamp", "1614265330"},
                             {"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
                             {"webhook-timestamp", "1614265330"},
                             {"webhook-signature", line},
                             {"X-Twilio-Signature", line}},
                            body};
    for (const vrnum::source* src :
         {static_cast<const vrnum::source*>(&telnyx), static_cast<const vrnum::source*>(&sw),
          static_cast<const vrnum::source*>(&twilio), static_cast<const vrnum::source*>(&vonage)}) {
        (void)src->verify(req, "https://fuzz.example", now);
        (void)src->parse(req, now);
    }
    // Vonage's Messages API: the same body under a bearer token (the JWT itself has its own
    // target, vonage_jwt_fuzz).
    vrnum::request_view messages_api{
        "POST",
        "/webhooks/fz",
        {{"Content-Type", "application/json"}, {"Authorization", "Bearer a.b.c"}},
        body};
    (void)vonage.verify(messages_api, "", now);
    (void)vonage.parse(messages_api, now);
    // A correct v1 signature over any body must verify.
    vrnum::request_view lib{
        "POST",
        "/webhooks/fz",
        {{"webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek"},
         {"webhook-timestamp", "1614265330"},
         {"webhook-signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="}},
        R"({"test": 2432232314})"};
    if (sw.verify(lib, "", now)) {
        __builtin_trap();
    }
    return 0;
}
