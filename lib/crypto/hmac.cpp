#include "crypto/hmac.hpp"

#include <memory>
#include <stdexcept>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

namespace vrnum::detail {
namespace {

struct ctx_free {
    void operator()(EVP_MAC_CTX* c) const noexcept { EVP_MAC_CTX_free(c); }
};
using ctx_ptr = std::unique_ptr<EVP_MAC_CTX, ctx_free>;

bool run(EVP_MAC_CTX* ctx, std::initializer_list<std::string_view> parts, std::string& out) {
    for (std::string_view p : parts) {
        if (EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(p.data()), p.size()) != 1) {
            return false;
        }
    }
    std::array<unsigned char, EVP_MAX_MD_SIZE> buf{};
    std::size_t len = 0;
    if (EVP_MAC_final(ctx, buf.data(), &len, buf.size()) != 1) {
        return false;
    }
    out.assign(reinterpret_cast<const char*>(buf.data()), len);
    return true;
}

}  // namespace

hmac_key::hmac_key(const char* digest, std::string_view secret) {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                          &EVP_MAC_free);
    if (!mac) {
        throw std::runtime_error("OpenSSL: HMAC is not available");
    }
    ctx_ptr ctx(EVP_MAC_CTX_new(mac.get()));
    std::array<OSSL_PARAM, 2> params{
        OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, const_cast<char*>(digest), 0),
        OSSL_PARAM_construct_end()};
    if (!ctx || EVP_MAC_init(ctx.get(), reinterpret_cast<const unsigned char*>(secret.data()),
                             secret.size(), params.data()) != 1) {
        throw std::runtime_error(std::string("OpenSSL: cannot key HMAC-") + digest);
    }
    size_ = EVP_MAC_CTX_get_mac_size(ctx.get());
    keyed_ = ctx.release();
}

hmac_key::~hmac_key() {
    for (slot& s : pool_) {
        EVP_MAC_CTX_free(s.ctx);
    }
    EVP_MAC_CTX_free(keyed_);
}

std::optional<std::string> hmac_key::mac(std::initializer_list<std::string_view> parts) const {
    std::string out;
    for (slot& s : pool_) {
        if (s.busy.exchange(true, std::memory_order_acquire)) {
            continue;
        }
        // A null key re-initialises the context with the key it holds (OpenSSL's HMAC keeps
        // the keyed inner and outer states), discarding whatever a failed use left.
        bool ok = false;
        if (s.ctx == nullptr) {
            s.ctx = EVP_MAC_CTX_dup(keyed_);
            ok = s.ctx != nullptr;
        } else {
            ok = EVP_MAC_init(s.ctx, nullptr, 0, nullptr) == 1;
        }
        ok = ok && run(s.ctx, parts, out);
        if (!ok) {
            EVP_MAC_CTX_free(s.ctx);  // not trusted again: the next use copies a fresh one
            s.ctx = nullptr;
        }
        s.busy.store(false, std::memory_order_release);
        return ok ? std::optional(std::move(out)) : std::nullopt;
    }
    // Every pooled context is in use: this call copies its own.
    ctx_ptr ctx(EVP_MAC_CTX_dup(keyed_));
    if (!ctx || !run(ctx.get(), parts, out)) {
        return std::nullopt;
    }
    return out;
}

}  // namespace vrnum::detail
