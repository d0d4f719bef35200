#include "support/signing.hpp"

#include <stdexcept>

#include <openssl/evp.h>

namespace vrnum::test {

std::string hmac(std::string_view digest, std::string_view key, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t len = 0;
    std::string name(digest);
    if (!EVP_Q_mac(nullptr, "HMAC", nullptr, name.c_str(), nullptr, key.data(), key.size(),
                   reinterpret_cast<const unsigned char*>(data.data()), data.size(),
                   reinterpret_cast<unsigned char*>(out.data()), out.size(), &len)) {
        throw std::runtime_error("EVP_Q_mac failed");
    }
    out.resize(len);
    return out;
}

std::string hash(std::string_view digest, std::string_view data) {
    std::string out(EVP_MAX_MD_SIZE, '\0');
    std::size_t len = 0;
    std::string name(digest);
    if (!EVP_Q_digest(nullptr, name.c_str(), nullptr, data.data(), data.size(),
                      reinterpret_cast<unsigned char*>(out.data()), &len)) {
        throw std::runtime_error("EVP_Q_digest failed");
    }
    out.resize(len);
    return out;
}

std::string hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : bytes) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

std::string base64(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string base64url(std::string_view bytes) {
    std::string s = base64(bytes);
    for (char& c : s) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return s.substr(0, s.find('='));
}

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
    return hex(hmac("SHA256", key, data));
}

struct ed25519_signer::key {
    EVP_PKEY* pkey = nullptr;
    ~key() { EVP_PKEY_free(pkey); }
};

ed25519_signer::ed25519_signer() : key_(std::make_unique<key>()) {
    key_->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519");
    if (!key_->pkey) {
        throw std::runtime_error("Ed25519 key generation failed");
    }
}

ed25519_signer::~ed25519_signer() = default;

std::string ed25519_signer::public_raw() const {
    std::string out(32, '\0');
    std::size_t len = out.size();
    EVP_PKEY_get_raw_public_key(key_->pkey, reinterpret_cast<unsigned char*>(out.data()), &len);
    return out;
}

std::string ed25519_signer::sign(std::string_view message) const {
    std::string sig(64, '\0');
    std::size_t len = sig.size();
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    bool ok =
        ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, key_->pkey) == 1 &&
        EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        throw std::runtime_error("Ed25519 signing failed");
    }
    return sig;
}

}  // namespace vrnum::test
