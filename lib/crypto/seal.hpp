#pragma once
/// \file
/// Sealing of sensitive columns (DESIGN §6): AES-256-GCM envelopes bound to a row and column,
/// keys derived with HKDF from the master key file, and an HMAC blind index for look-ups.

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/error.hpp>

namespace vrnum::detail {

/// The master keys a store seals and opens with, and the state of its nonce sequence.
///
/// Envelope: `version (1, = 1) | key_id (4, big-endian) | nonce (12) | ciphertext | tag (16)`;
/// the associated data is `version | key_id | row_id (8, big-endian) | column`, so a value
/// moved to another row or column, or relabelled with another key id, fails to open. The
/// nonce is `prefix (8) | counter (4, big-endian)` (NIST SP 800-38D §8.2.1): the prefix is
/// drawn from the CSPRNG at construction and again whenever the counter runs out, and is never
/// reused within the process; across restarts a repeat is as likely as a 64-bit collision.
///
/// Owned by the store (one per open database), which hands it by reference to its reader and
/// writer threads. Thread-safety: immutable after construction except the nonce state (an
/// atomic counter; a mutex only when a prefix is re-drawn); `seal`, `open` and `blind_index`
/// may be called concurrently from any number of threads. Each calling thread keeps one
/// thread-local AES-GCM context per direction, holding the key schedule it last used, so that
/// a call allocates nothing but its result; it is freed when the thread exits. Neither copyable
/// nor movable (threads hold references to it).
class keyring {
  public:
    /// A 256-bit master key.
    using key = std::array<std::uint8_t, 32>;

    /// Bytes an envelope adds to its plaintext.
    static constexpr std::size_t overhead = 1 + 4 + 12 + 16;

    /// `masters.front()` is the current key (used to seal); all of them open (rotation).
    /// Throws `std::invalid_argument` when `masters` is empty or two keys share a key id, and
    /// `std::runtime_error` when OpenSSL cannot provide AES-256-GCM, HKDF or HMAC.
    explicit keyring(std::vector<key> masters);
    ~keyring();
    keyring(const keyring&) = delete;
    keyring& operator=(const keyring&) = delete;

    /// The key id written into new envelopes.
    std::uint32_t current_key_id() const noexcept;
    /// Whether envelopes under key id `id` can be opened.
    bool has_key(std::uint32_t id) const noexcept;

    /// Seals `plaintext` for column `column` of row `row_id` under the current key.
    /// The result is binary, `plaintext.size() + overhead` bytes. Throws `std::length_error`
    /// past 2 GiB and `std::runtime_error` only if OpenSSL itself fails.
    std::string seal(std::string_view plaintext, std::int64_t row_id,
                     std::string_view column) const;

    /// Opens an envelope made by `seal` for the same row and column: `errc::unavailable` when
    /// its key id is not in this keyring, `errc::malformed` when it is short, of another
    /// version, tampered with, or bound to another row or column. Never throws on bad input.
    vrnum::result<std::string> open(std::string_view envelope, std::int64_t row_id,
                                    std::string_view column) const;

    /// Lower-case hex HMAC-SHA256 of `value` under the current key's blind-index key:
    /// equal values give equal indexes under one key, so a sealed column can be looked up.
    /// Callers normalise first (e.g. lower-case an e-mail); after a rotation the index changes
    /// with the current key and stored indexes must be recomputed with the re-seal.
    std::string blind_index(std::string_view value) const;

    /// The key id of a master key: the first 4 bytes, big-endian, of
    /// HMAC-SHA256(master, "vrnum key id v1").
    static std::uint32_t key_id_of(const key& master);
    /// The key id an envelope names, or nullopt when it is no envelope of this version.
    static std::optional<std::uint32_t> key_id_of_envelope(std::string_view envelope) noexcept;
    /// How many master keys this keyring holds.
    std::size_t size() const noexcept;

  protected:
    /// Where the nonce counter starts and where it runs out; a test hook to reach exhaustion
    /// without 2^32 seals. Production uses the defaults.
    struct nonce_options {
        std::uint32_t first_counter = 0;           ///< counter of the first nonce
        std::uint64_t counter_limit = 1ULL << 32;  ///< counters in [0, limit) are used
    };
    /// As the public constructor, with the nonce counter range of `opts`.
    keyring(std::vector<key> masters, nonce_options opts);

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

}  // namespace vrnum::detail
