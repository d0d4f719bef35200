// Fuzzes Vonage's Messages API token check: the first line (within 8 KiB) is the bearer
// token as received, the rest the body. Then the rest is used as the claims of a token
// correctly signed here (HS256, the source's secret), so that the claim checks are reached
// too: whatever the claims, a token is accepted only when its `payload_hash` covers the body
// and its `iat` holds.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>

#include "crypto/encoding.hpp"
#include "sources/vonage_source.hpp"
#include "support/signing.hpp"

namespace {

constexpr std::string_view secret = "fuzz-signature-secret";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const vrnum::detail::vonage_source vonage([] {
        vrnum::source_config cfg;
        cfg.id = "fz";
        cfg.kind = vrnum::source_kind::vonage;
        cfg.secrets = {std::string(secret)};
        return cfg;
    }());
    const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view token = input;
    std::string_view rest;
    if (auto nl = input.substr(0, 8192).find('\n'); nl != std::string_view::npos) {
        token = input.substr(0, nl);
        rest = input.substr(nl + 1);
    }
    const std::string raw_auth = "Bearer " + std::string(token);
    vrnum::request_view req{"POST", "/webhooks/fz", {{"Authorization", raw_auth}}, rest};
    (void)vonage.verify(req, "", now);
    (void)vonage.parse(req, now);

    // The rest as the claims of a correctly signed token, over an empty body.
    std::string input_part = vrnum::test::base64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                             vrnum::test::base64url(rest);
    const std::string signed_auth =
        "Bearer " + input_part + "." +
        vrnum::test::base64url(vrnum::test::hmac("SHA256", secret, input_part));
    vrnum::request_view signed_req{"POST", "/webhooks/fz", {{"Authorization", signed_auth}}, ""};
    if (!vonage.verify(signed_req, "", now)) {
        // Accepted: the claims must name the empty body's hash.
        const std::string empty_hash = vrnum::test::hex(vrnum::test::hash("SHA256", ""));
        std::string lower(rest);
        for (char& c : lower) {
            c = (c >= 'A' && c <= 'F') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        // (Unless written with escapes, which the JSON parser decodes.)
        if (lower.find(empty_hash) == std::string::npos && lower.find('\\') == std::string::npos) {
            __builtin_trap();
        }
    }
    return 0;
}
