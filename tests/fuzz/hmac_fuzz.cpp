// Fuzzes the generic `hmac` source: verify, then parse, of arbitrary bytes as a webhook body.
// Input: an optional signature header line (up to the first '\n' within 256 bytes), then the
// body; the header line is also tried as a Content-Type. Each input is also parsed unverified,
// and once under a correct signature computed here, so that parse runs however verify answers;
// parse must never crash on its own.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>

#include "normalize/normalize.hpp"
#include "sources/hmac_source.hpp"
#include "sources/media_type.hpp"
#include "support/signing.hpp"

namespace {

vrnum::source_config flat_config() {
    vrnum::source_config cfg;
    cfg.id = "fz";
    cfg.secrets = {"fuzz-secret", "fuzz-secret-2"};
    cfg.header = "X-Signature";
    return cfg;
}

vrnum::source_config nested_config() {
    vrnum::source_config cfg = flat_config();
    cfg.encoding = "base64";
    cfg.algorithm = "sha512";
    cfg.prefix = "v1=";
    cfg.timestamp_header = "X-Timestamp";
    cfg.fields = {"/data/id", "/data/from/number", "/data/to/0", "/data/text", "/data/sent_at"};
    return cfg;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const vrnum::detail::hmac_source flat(flat_config());
    static const vrnum::detail::hmac_source nested(nested_config());
    const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

    std::string_view input(reinterpret_cast<const char*>(data), size);
    std::string_view sig;
    std::string_view body = input;
    if (auto nl = input.substr(0, 256).find('\n'); nl != std::string_view::npos) {
        sig = input.substr(0, nl);
        body = input.substr(nl + 1);
    }
    vrnum::request_view req{"POST", "/webhooks/fz", {{"X-Signature", sig}}, body};
    for (const auto* src : {&flat, &nested}) {
        if (!src->verify(req, "", now)) {
            (void)src->parse(req, now);
        }
        (void)src->parse(req, now);
    }
    req.headers.emplace_back("X-Timestamp", sig);
    (void)nested.verify(req, "", now);

    std::string good = vrnum::test::hmac_sha256_hex("fuzz-secret-2", body);
    vrnum::request_view signed_req{"POST", "/webhooks/fz", {{"x-signature", good}}, body};
    if (flat.verify(signed_req, "", now)) {
        __builtin_trap();  // a correct signature must verify
    }
    (void)flat.parse(signed_req, now);

    // The Content-Type check, with the header line as the value.
    const bool json = flat.accepts_content_type(sig);
    if (json !=
        (vrnum::detail::media_type_of(sig).empty() || vrnum::detail::is_json_media_type(sig))) {
        __builtin_trap();
    }
    (void)vrnum::detail::is_form_media_type(sig);
    (void)vrnum::detail::decode_base64(sig);
    (void)vrnum::detail::decode_hex(sig);
    (void)vrnum::detail::normalize_number(body);
    return 0;
}
