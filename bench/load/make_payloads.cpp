// Writes N unique, correctly signed hmac webhook bodies for the load test, one per line:
// "<hex signature> <json body>". Pure-Lua HMAC would make wrk the bottleneck.
// Usage: make_payloads SECRET COUNT [sequential|random] > payloads.txt
//   sequential (default): ids that sort in sending order ("load-<time>-<n>")
//   random: ids like a provider's ("SM" and 32 hex digits, as Twilio's), which land all over
//           the unique (source, provider id) index
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <string_view>

#include <openssl/evp.h>

namespace {

// SplitMix64: a fixed, well-mixed sequence, so runs are repeatable.
std::uint64_t mix(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

std::string random_id(std::uint64_t i, std::uint64_t salt) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "SM%016llx%016llx",
                  static_cast<unsigned long long>(mix(i ^ salt)),
                  static_cast<unsigned long long>(mix(~i ^ salt)));
    return buf;
}

}  // namespace

int main(int argc, char** argv) {
    const std::string_view mode = argc == 4 ? argv[3] : "sequential";
    if ((argc != 3 && argc != 4) || (mode != "sequential" && mode != "random")) {
        std::fprintf(stderr, "usage: make_payloads SECRET COUNT [sequential|random]\n");
        return 2;
    }
    std::string secret = argv[1];
    long count = std::strtol(argv[2], nullptr, 10);
    const auto now = static_cast<std::uint64_t>(std::time(nullptr));
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%llx", static_cast<unsigned long long>(now));
    for (long i = 0; i < count; ++i) {
        const std::string id = mode == "random"
                                   ? random_id(static_cast<std::uint64_t>(i), now)
                                   : std::string("load-") + stamp + "-" + std::to_string(i);
        std::string body = R"({"id":")" + id +
                           R"(","from":"+447700900001","to":"+37255500001","text":"Your code is )" +
                           std::to_string(100000 + i % 900000) + R"("})";
        unsigned char mac[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, secret.data(), secret.size(),
                  reinterpret_cast<const unsigned char*>(body.data()), body.size(), mac, sizeof mac,
                  &len);
        for (std::size_t k = 0; k < len; ++k) {
            std::printf("%02x", mac[k]);
        }
        std::printf(" %s\n", body.c_str());
    }
    return 0;
}
