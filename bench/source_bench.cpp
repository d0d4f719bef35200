// The webhook sources' kernels: the generic `hmac` source on a typical ~200-byte webhook
// (verify: HMAC-SHA256, hex; parse: simdjson, JSON Pointers, UTF-8 check, E.164), number
// normalisation alone, then verify and parse of every provider kind on the request its
// provider would send (each kind's demo request, or one signed here for the schemes whose
// senders hold a private key: Telnyx, Standard Webhooks v1a, Vonage's Messages API JWT).

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <vrnum/config.hpp>
#include <vrnum/request_view.hpp>
#include <vrnum/source.hpp>

#include "normalize/normalize.hpp"
#include "sources/hmac_source.hpp"
#include "support/signing.hpp"

namespace {

const std::string body =
    R"({"id":"msg-0000000001","sender":"447700900001","recipient":"+372 555 00001",)"
    R"("message":"Your verification code is 123456. Do not share it. Код: 123456 👋",)"
    R"("sent_at":1700000000,"meta":{"network":"EE-01","segments":1}})";
const std::chrono::system_clock::time_point now{std::chrono::seconds(1700000000)};

vrnum::source_config config() {
    vrnum::source_config cfg;
    cfg.id = "ys";
    cfg.secrets = {"a-demo-secret-of-reasonable-length"};
    cfg.header = "X-Signature";
    cfg.fields = {"/id", "/sender", "/recipient", "/message", "/sent_at"};
    return cfg;
}

std::string signature() {
    return vrnum::test::hmac_sha256_hex(config().secrets.front(), body);
}

void verify_sha256_hex(benchmark::State& state) {
    const vrnum::detail::hmac_source src(config());
    const std::string sig = signature();
    const vrnum::request_view req{"POST", "/webhooks/ys", {{"X-Signature", sig}}, body};
    for (auto _ : state) {
        auto ec = src.verify(req, "", now);
        benchmark::DoNotOptimize(ec);
        if (ec) {
            state.SkipWithError("signature did not verify");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(verify_sha256_hex);

void parse_json(benchmark::State& state) {
    const vrnum::detail::hmac_source src(config());
    const vrnum::request_view req{"POST", "/webhooks/ys", {}, body};
    for (auto _ : state) {
        auto r = src.parse(req, now);
        benchmark::DoNotOptimize(r);
        if (!r) {
            state.SkipWithError("body did not parse");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(parse_json);

void normalize_numbers(benchmark::State& state) {
    for (auto _ : state) {
        auto a = vrnum::detail::normalize_number("+44 7700 900001");
        auto b = vrnum::detail::normalize_number("Google");
        benchmark::DoNotOptimize(a);
        benchmark::DoNotOptimize(b);
    }
    state.SetItemsProcessed(state.iterations() * 2);
}
BENCHMARK(normalize_numbers);

// ---- every provider kind ------------------------------------------------------------

// A source and one request it accepts, owning what the request views.
struct provider_case {
    std::string name;
    std::unique_ptr<vrnum::source> src;
    vrnum::outgoing_request out;
    std::vector<vrnum::header_field> headers;
    vrnum::request_view view() {
        headers.assign(out.headers.begin(), out.headers.end());
        return {out.method, out.target, headers, out.body};
    }
};

constexpr std::string_view base_url = "https://sms.example.com";

vrnum::message sample() {
    vrnum::message m;
    m.provider_id = "0A0000000123ABCD1";
    m.from = "+447700900001";
    m.to = "+37255500001";
    m.text = "Your verification code is 123456. Do not share it. Код: 123456 👋";
    return m;
}

vrnum::source_config kind_config(vrnum::source_kind kind, std::vector<std::string> secrets,
                                 std::vector<std::string> keys = {}) {
    vrnum::source_config cfg;
    cfg.id = "s1";
    cfg.kind = kind;
    cfg.secrets = std::move(secrets);
    cfg.public_keys = std::move(keys);
    cfg.fields = {"/id", "/from", "/to", "/text", ""};
    return cfg;
}

provider_case demo_case(std::string name, const vrnum::source_config& cfg) {
    provider_case c{std::move(name), vrnum::make_source(cfg), {}, {}};
    c.out = *c.src->demo_request(sample(), base_url, now);
    return c;
}

std::vector<provider_case> provider_cases() {
    namespace t = vrnum::test;
    using vrnum::source_kind;
    static const t::ed25519_signer ed;
    const std::string secret = "a-demo-secret-of-reasonable-length";
    std::vector<provider_case> cases;
    cases.push_back(demo_case("twilio_form", kind_config(source_kind::twilio, {secret})));
    cases.push_back(demo_case("plivo_v3", kind_config(source_kind::plivo, {secret})));
    for (std::string method : {"md5hash", "sha256hmac"}) {
        auto cfg = kind_config(source_kind::vonage, {secret});
        cfg.signature_method = method;
        cases.push_back(demo_case("vonage_sms_" + method, cfg));
    }
    cases.push_back(demo_case("standard_webhooks_v1", kind_config(source_kind::standard_webhooks,
                                                                  {"whsec_" + t::base64(secret)})));

    const std::string json =
        R"({"data":{"event_type":"message.received","id":"e-1","occurred_at":)"
        R"("2023-11-14T22:13:20.000+00:00","payload":{"id":"0A0000000123ABCD1","text":)"
        R"("Your verification code is 123456. Do not share it. Код: 123456 👋",)"
        R"("from":{"phone_number":"+447700900001"},"to":[{"phone_number":"+37255500001"}]}}})";
    {
        provider_case c{
            "telnyx_ed25519",
            vrnum::make_source(kind_config(source_kind::telnyx, {}, {t::base64(ed.public_raw())})),
            {},
            {}};
        c.out.target = "/webhooks/s1";
        c.out.body = json;
        c.out.headers = {{"telnyx-timestamp", "1700000000"},
                         {"telnyx-signature-ed25519", t::base64(ed.sign("1700000000|" + json))}};
        cases.push_back(std::move(c));
    }
    {
        auto m = sample();
        std::string body =
            R"({"id":"1","from":"+447700900001","to":"+37255500001","text":")" + m.text + "\"}";
        provider_case c{"standard_webhooks_v1a",
                        vrnum::make_source(kind_config(source_kind::standard_webhooks, {},
                                                       {"whpk_" + t::base64(ed.public_raw())})),
                        {},
                        {}};
        c.out.target = "/webhooks/s1";
        c.out.body = body;
        c.out.headers = {
            {"webhook-id", "msg_1"},
            {"webhook-timestamp", "1700000000"},
            {"webhook-signature", "v1a," + t::base64(ed.sign("msg_1.1700000000." + body))}};
        cases.push_back(std::move(c));
    }
    {
        std::string body =
            R"({"channel":"sms","message_uuid":"aaaaaaaa-bbbb-cccc-dddd-0123456789ab",)"
            R"("to":"37255500001","from":"447700900001","timestamp":"2023-11-14T22:13:20.000Z",)"
            R"("text":"Your verification code is 123456. Do not share it.","message_type":"text"})";
        std::string input = t::base64url(R"({"alg":"HS256","typ":"JWT"})") + "." +
                            t::base64url(R"({"iat":1700000000,"jti":"j-1","payload_hash":")" +
                                         t::hex(t::hash("SHA256", body)) + "\"}");
        provider_case c{"vonage_messages_jwt",
                        vrnum::make_source(kind_config(source_kind::vonage, {secret})),
                        {},
                        {}};
        c.out.target = "/webhooks/s1";
        c.out.body = body;
        c.out.headers = {{"Content-Type", "application/json"},
                         {"Authorization", "Bearer " + input + "." +
                                               t::base64url(t::hmac("SHA256", secret, input))}};
        cases.push_back(std::move(c));
    }
    return cases;
}

void verify_kind(benchmark::State& state, provider_case* c) {
    auto req = c->view();
    for (auto _ : state) {
        auto ec = c->src->verify(req, base_url, now);
        benchmark::DoNotOptimize(ec);
        if (ec) {
            state.SkipWithError(("did not verify: " + ec.message()).c_str());
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

void parse_kind(benchmark::State& state, provider_case* c) {
    auto req = c->view();
    for (auto _ : state) {
        auto r = c->src->parse(req, now);
        benchmark::DoNotOptimize(r);
        if (!r || r->messages.size() != 1) {
            state.SkipWithError("did not parse into one message");
            break;
        }
    }
    state.SetItemsProcessed(state.iterations());
}

// Registered before main runs; the cases live as long as the program.
const bool registered = [] {
    static std::vector<provider_case> cases = provider_cases();
    for (auto& c : cases) {
        benchmark::RegisterBenchmark(("verify/" + c.name).c_str(), verify_kind, &c);
        benchmark::RegisterBenchmark(("parse/" + c.name).c_str(), parse_kind, &c);
    }
    return true;
}();

}  // namespace
