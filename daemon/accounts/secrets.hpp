#pragma once
/// \file
/// The random secrets of accounts (session ids, single-use link tokens, API keys): 256 bits
/// from OpenSSL's CSPRNG, written base64url, stored only as their SHA-256. Safe from any thread.

#include <string>
#include <string_view>

namespace vrnumd::accounts {

/// 32 random bytes as unpadded base64url (43 characters). Throws std::runtime_error if the
/// random source fails.
std::string random_secret();

/// The raw SHA-256 of `secret`: what a table stores in place of the secret.
std::string secret_hash(std::string_view secret);

/// True when `a` equals `b`, in time that depends only on their lengths.
bool equal_secrets(std::string_view a, std::string_view b) noexcept;

}  // namespace vrnumd::accounts
