// Fuzzes the Cryptomus webhook's parsers with whatever a body may hold: the PHP-compatible
// re-encoding (what comes out is JSON again), the notice with its signature check (a body
// signed here with the fuzzer's bytes must verify), and the decimal amounts. Nothing may
// crash.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <simdjson.h>

#include "payments/cryptomus_webhook.hpp"
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
    std::string detail;
    auto notice = vrnumd::payments::verify_notice(body, "fuzz-key", detail);
    if (notice && notice->payment_amount_usd) {
        (void)vrnumd::payments::usd_cents(*notice->payment_amount_usd);
    }
    (void)vrnumd::payments::usd_cents(body.substr(0, 32));
    if (size >= 32) {
        (void)vrnumd::payments::next_status(body.substr(0, 16), size % 2 == 0, body.substr(16, 16));
    }
    // The re-encoded object with a sign as Cryptomus makes it (over PHP's encoding of what it
    // sends; PHP's is not idempotent: -0.0 prints as -0, which reads back as 0): a verifiable
    // notice (when the fields make one) must verify.
    auto again_encoded = out ? vrnumd::payments::php_reencode(*out) : std::nullopt;
    if (again_encoded && out->size() > 2 && out->front() == '{') {
        std::string sign = vrnumd::payments::cryptomus_sign(*again_encoded, "fuzz-key");
        std::string signed_body = out->substr(0, out->size() - 1) + ",\"sign\":\"" + sign + "\"}";
        auto again = vrnumd::payments::verify_notice(signed_body, "fuzz-key", detail);
        if (!again && again.error() == vrnum::errc::bad_signature) {
            std::abort();
        }
    }
    return 0;
}
