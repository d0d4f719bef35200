#pragma once
/// \file
/// The development transport: one RFC 5322 `.eml` file per mail in a folder, written
/// atomically (a temporary file, fsync, rename, fsync of the folder), named `<token>.eml`.

#include <filesystem>
#include <memory>

#include "mail/transport.hpp"

namespace vrnumd::mail {

/// Writes into `dir` (created, mode 0700, when missing: the files hold addresses and links
/// with tokens; each file is 0600).
std::unique_ptr<transport> make_file_transport(std::filesystem::path dir);

}  // namespace vrnumd::mail
