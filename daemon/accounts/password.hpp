#pragma once
/// \file
/// Passwords: the policy a new one must meet (length, and libpwquality's cracklib dictionary
/// and user-name checks), and argon2id hashes in PHC string form (libargon2) at no less than
/// OWASP's 19 MiB, t=2, p=1. Hashing and verifying take tens of milliseconds on purpose: run
/// them on a blocking pool, never on an I/O thread or inside a write transaction. Every
/// function is safe from any thread.

#include <optional>
#include <string>
#include <string_view>

namespace vrnumd::accounts {

/// Shortest and longest password accepted, in bytes of UTF-8.
inline constexpr std::size_t min_password_bytes = 10;
inline constexpr std::size_t max_password_bytes = 256;

/// Why `password` may not be used by the owner of `email`, as a sentence for the customer
/// ("is too short", "is a dictionary word or too common", "contains your email address"),
/// or nullopt when it is fine. Throws std::runtime_error when the dictionary is missing.
std::optional<std::string> password_problem(std::string_view password, std::string_view email);

/// The argon2id hash of `password` under a fresh random salt, as
/// `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`. Throws std::runtime_error if libargon2
/// or the random source fails.
std::string hash_password(std::string_view password);

/// True when `password` matches `encoded` (compared in constant time). False for a wrong
/// password and for anything that is not an argon2id PHC string.
bool verify_password(std::string_view password, std::string_view encoded);

/// The same work as `verify_password` against a hash no password matches: what a login for
/// an unknown address runs, so that it takes as long as one for a known address.
void verify_dummy(std::string_view password);

}  // namespace vrnumd::accounts
