#pragma once
// A secret keyed once for HMAC (OpenSSL's EVP_MAC), shared by every thread that verifies with
// it. Each message takes a context from a small pool and re-initialises it, which keeps the
// key's inner and outer hash states, instead of copying a keyed context per message.

#include <array>
#include <atomic>
#include <cstddef>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;

namespace vrnum::detail {

class hmac_key {
  public:
    /// `digest` is an OpenSSL digest name ("SHA256", "SHA1", "SHA512", "MD5"). Throws
    /// `std::runtime_error` when OpenSSL cannot key HMAC with it.
    hmac_key(const char* digest, std::string_view secret);
    ~hmac_key();
    hmac_key(const hmac_key&) = delete;
    hmac_key& operator=(const hmac_key&) = delete;

    /// The MAC's length in bytes.
    std::size_t size() const noexcept { return size_; }
    /// The raw MAC over the concatenation of `parts`, or nullopt if OpenSSL fails. Safe to
    /// call from any number of threads at once.
    std::optional<std::string> mac(std::initializer_list<std::string_view> parts) const;

  private:
    // A context in use by one caller at a time; created from `keyed_` on first use.
    struct slot {
        std::atomic<bool> busy{false};
        evp_mac_ctx_st* ctx = nullptr;
    };
    static constexpr std::size_t pool_size = 8;  // more concurrent callers copy `keyed_`

    evp_mac_ctx_st* keyed_ = nullptr;
    std::size_t size_ = 0;
    mutable std::array<slot, pool_size> pool_;
};

}  // namespace vrnum::detail
