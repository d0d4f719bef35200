#include "accounts/secrets.hpp"

#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"

namespace vrnumd::accounts {

std::string random_secret() {
    unsigned char raw[32];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::string s = vrnum::detail::encode_base64(
        std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    // base64 to base64url (RFC 4648 §5), without padding: safe in a URL fragment and a cookie.
    while (!s.empty() && s.back() == '=') {
        s.pop_back();
    }
    for (char& c : s) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return s;
}

std::string secret_hash(std::string_view secret) {
    auto d = vrnum::detail::digest("SHA256", {secret});
    if (!d) {
        throw std::runtime_error("SHA-256 failed");
    }
    return std::move(*d);
}

bool equal_secrets(std::string_view a, std::string_view b) noexcept {
    return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace vrnumd::accounts
