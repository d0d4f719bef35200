// Writes N unique, correctly signed hmac webhook bodies for the load test, one per line:
// "<hex signature> <json body>". Pure-Lua HMAC would make wrk the bottleneck.
// Usage: make_payloads SECRET COUNT > payloads.txt
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>

#include <openssl/evp.h>

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: make_payloads SECRET COUNT\n");
        return 2;
    }
    std::string secret = argv[1];
    long count = std::strtol(argv[2], nullptr, 10);
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%lx", static_cast<long>(std::time(nullptr)));
    for (long i = 0; i < count; ++i) {
        std::string body = std::string(R"({"id":"load-)") + stamp + "-" + std::to_string(i) +
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
