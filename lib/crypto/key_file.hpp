#pragma once
/// \file
/// The store's master key file (`store.key_file`): exactly 32 random bytes, mode 0600.
/// Free functions without shared state; safe to call from any thread.

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>

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

/// Reads the key file at `path`: `std::nullopt` when it does not exist. Throws
/// `std::runtime_error` naming the path when it exists but is not a regular file of exactly
/// 32 bytes, is accessible by group or others (the message says to `chmod 600` it), or cannot
/// be read.
std::optional<master_key> read_key_file(const std::filesystem::path& path);

}  // namespace vrnum::detail
