#pragma once
/// \file
/// The store's master key file (`store.key_file`): exactly 32 random bytes, mode 0600.
/// Free functions without shared state; safe to call from any thread.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <vector>

namespace vrnum::detail {

/// A 256-bit master key, the content of a key file.
using master_key = std::array<std::uint8_t, 32>;

/// Creates a new key file at `path` holding 32 bytes from the OpenSSL CSPRNG and returns them.
/// Missing parent directories are created; the file is created exclusively (an existing file,
/// even a dangling symlink, is never overwritten) with mode 0600 whatever the umask, and the
/// file and its directory are fsync'ed before returning. Throws `std::runtime_error` naming the
/// path (never the key) when the file exists or cannot be written; a partly written file is
/// removed.
master_key create_key_file(const std::filesystem::path& path);

/// Most keys a key file may hold.
constexpr std::size_t max_keys_in_file = 64;

/// Reads the key file at `path`: `std::nullopt` when it does not exist, else its keys, oldest
/// first (the last one is the current key; the earlier ones still open what they sealed).
/// Throws `std::runtime_error` naming the path when it exists but is not a regular file of a
/// whole number (1 to `max_keys_in_file`) of 32-byte keys, is accessible by group or others
/// (the message says to `chmod 600` it), or cannot be read.
std::optional<std::vector<master_key>> read_key_file(const std::filesystem::path& path);

/// Appends a fresh random key to the existing key file at `path`, making it the current one,
/// and returns it. The file is replaced atomically (written to `<path>.new`, fsync'ed, renamed
/// over, directory fsync'ed), so a crash leaves the old or the new file, never a torn one.
/// `<path>.new` is also the lock: the current keys are read once it is created, so a second
/// rotation running at the same time fails rather than write over the first one's key. The
/// new file keeps the owner of the one it replaces. Throws `std::runtime_error` as
/// `read_key_file` does, when the file is missing or full, or when `<path>.new` is in the way
/// (another rotation, or one that did not finish: remove it and retry).
master_key add_key_to_file(const std::filesystem::path& path);

/// Overwrites `keys` in place (OPENSSL_cleanse), so that no copy stays in freed memory.
void cleanse_keys(std::vector<master_key>& keys) noexcept;

/// Writes `keys` (oldest first) over the key file at `path`, atomically as `add_key_to_file`
/// does; for dropping keys that no row needs any more.
void rewrite_key_file(const std::filesystem::path& path, const std::vector<master_key>& keys);

}  // namespace vrnum::detail
