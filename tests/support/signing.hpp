#pragma once
// Signatures computed the way a provider would, with OpenSSL directly (not our source code).

#include <memory>
#include <string>
#include <string_view>

namespace vrnum::test {

/// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
/// The raw HMAC with the OpenSSL digest `digest` ("SHA1", "SHA256", "MD5", ...).
std::string hmac(std::string_view digest, std::string_view key, std::string_view data);
/// The raw digest of `data` ("SHA256", "MD5", ...).
std::string hash(std::string_view digest, std::string_view data);
/// Lower-case hex and padded standard base64.
std::string hex(std::string_view bytes);
std::string base64(std::string_view bytes);
/// Base64url without padding (RFC 4648 §5), as JWTs carry their parts.
std::string base64url(std::string_view bytes);

/// A fresh Ed25519 key pair (OpenSSL's generator), for schemes that sign with one.
class ed25519_signer {
  public:
    ed25519_signer();
    ~ed25519_signer();
    ed25519_signer(const ed25519_signer&) = delete;
    ed25519_signer& operator=(const ed25519_signer&) = delete;
    /// The raw 32-byte public key.
    std::string public_raw() const;
    /// The 64-byte signature of `message`.
    std::string sign(std::string_view message) const;

  private:
    struct key;
    std::unique_ptr<key> key_;
};

}  // namespace vrnum::test
