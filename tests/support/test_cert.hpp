#pragma once
// A self-signed certificate for `localhost` and 127.0.0.1, generated with OpenSSL for
// TLS tests.

#include <filesystem>

namespace vrnum::test {

struct cert_files {
    std::filesystem::path cert;  ///< PEM certificate (also the CA to trust)
    std::filesystem::path key;   ///< PEM private key
};

/// Writes a fresh P-256 key and a self-signed certificate valid for a day into `dir`.
cert_files make_self_signed(const std::filesystem::path& dir);

}  // namespace vrnum::test
