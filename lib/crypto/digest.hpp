#pragma once
/// \file
/// One-shot message digests and Ed25519 signature checks (OpenSSL EVP), for the provider
/// schemes that hash a body (Twilio's `bodySHA256`, Vonage's `payload_hash` and `md5hash`)
/// or sign with Ed25519 (Telnyx, Standard Webhooks `v1a`).

#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

struct evp_pkey_st;

namespace vrnum::detail {

/// The raw digest of the concatenation of `parts`; `algorithm` is an OpenSSL digest name
/// ("SHA256", "MD5"). nullopt if OpenSSL fails. Safe from any thread.
std::optional<std::string> digest(const char* algorithm,
                                  std::initializer_list<std::string_view> parts);

/// An Ed25519 public key, parsed once and shared by every thread that verifies with it.
class ed25519_key {
  public:
    /// `raw` is the 32-byte public key. Throws `std::invalid_argument` for another length and
    /// `std::runtime_error` when OpenSSL cannot load it.
    explicit ed25519_key(std::string_view raw);
    ~ed25519_key();
    ed25519_key(const ed25519_key&) = delete;
    ed25519_key& operator=(const ed25519_key&) = delete;

    /// True when `signature` (64 raw bytes) is this key's Ed25519 signature (RFC 8032, pure)
    /// of `message`. Any failure, a wrong length included, is false.
    bool verify(std::string_view message, std::string_view signature) const noexcept;

  private:
    evp_pkey_st* key_ = nullptr;
};

/// An Ed25519 private key: what a provider signs with (demo requests, `vrnumd simulate`).
class ed25519_private_key {
  public:
    /// `pem` is a PKCS#8 PEM private key, as `openssl genpkey -algorithm ed25519` writes it.
    /// Throws `std::invalid_argument` when it is not an Ed25519 private key.
    explicit ed25519_private_key(std::string_view pem);
    ~ed25519_private_key();
    ed25519_private_key(const ed25519_private_key&) = delete;
    ed25519_private_key& operator=(const ed25519_private_key&) = delete;

    /// The 64-byte signature of `message`; nullopt if OpenSSL fails.
    std::optional<std::string> sign(std::string_view message) const;

  private:
    evp_pkey_st* key_ = nullptr;
};

}  // namespace vrnum::detail
