#include "crypto/digest.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace vrnum::detail {

std::optional<std::string> digest(const char* algorithm,
                                  std::initializer_list<std::string_view> parts) {
    // Looked up once per algorithm name and thread: EVP_MD_fetch is a provider search.
    thread_local std::string fetched_name;
    thread_local std::unique_ptr<EVP_MD, decltype(&EVP_MD_free)> md{nullptr, &EVP_MD_free};
    if (!md || fetched_name != algorithm) {
        md.reset(EVP_MD_fetch(nullptr, algorithm, nullptr));
        fetched_name = algorithm;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    if (!md || !ctx || EVP_DigestInit_ex2(ctx.get(), md.get(), nullptr) != 1) {
        return std::nullopt;
    }
    for (std::string_view part : parts) {
        if (EVP_DigestUpdate(ctx.get(), part.data(), part.size()) != 1) {
            return std::nullopt;
        }
    }
    std::string out(static_cast<std::size_t>(EVP_MD_get_size(md.get())), '\0');
    unsigned int n = 0;
    if (EVP_DigestFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(out.data()), &n) != 1) {
        return std::nullopt;
    }
    out.resize(n);
    return out;
}

ed25519_key::ed25519_key(std::string_view raw) {
    if (raw.size() != 32) {
        throw std::invalid_argument("an Ed25519 public key has 32 bytes");
    }
    key_ = EVP_PKEY_new_raw_public_key(
        EVP_PKEY_ED25519, nullptr, reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    if (!key_) {
        throw std::runtime_error("OpenSSL could not load an Ed25519 public key");
    }
}

ed25519_key::~ed25519_key() {
    EVP_PKEY_free(key_);
}

bool ed25519_key::verify(std::string_view message, std::string_view signature) const noexcept {
    if (signature.size() != 64) {
        return false;
    }
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    // Ed25519 is one-shot: no digest, the whole message at once.
    const bool ok =
        ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key_) == 1 &&
        EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(signature.data()),
                         signature.size(), reinterpret_cast<const unsigned char*>(message.data()),
                         message.size()) == 1;
    if (!ok) {
        ERR_clear_error();  // a refused signature must not linger on this thread's error queue
    }
    return ok;
}

ed25519_private_key::ed25519_private_key(std::string_view pem) {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), &BIO_free);
    // No passphrase: an encrypted key is refused rather than prompted for on the terminal.
    auto no_passphrase = [](char*, int, int, void*) { return -1; };
    key_ = bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr) : nullptr;
    if (!key_ || EVP_PKEY_get_base_id(key_) != EVP_PKEY_ED25519) {
        ERR_clear_error();
        EVP_PKEY_free(key_);
        key_ = nullptr;
        throw std::invalid_argument("not an unencrypted PEM Ed25519 private key");
    }
}

ed25519_private_key::~ed25519_private_key() {
    EVP_PKEY_free(key_);
}

std::optional<std::string> ed25519_private_key::sign(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::string sig(64, '\0');
    std::size_t n = sig.size();
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key_) != 1 ||
        EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &n,
                       reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1 ||
        n != sig.size()) {
        ERR_clear_error();
        return std::nullopt;
    }
    return sig;
}

}  // namespace vrnum::detail
