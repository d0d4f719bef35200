#pragma once
// Self-signed certificates (by default for `localhost` and 127.0.0.1), generated with OpenSSL for
// TLS tests.

#include <filesystem>
#include <string>

namespace vrnum::test {

struct cert_files {
    std::filesystem::path cert;  ///< PEM certificate (also the CA to trust)
    std::filesystem::path key;   ///< PEM private key
};

/// Writes a fresh P-256 key and a self-signed certificate valid for a day into `dir`.
cert_files make_self_signed(const std::filesystem::path& dir);

/// As `make_self_signed`, valid only for `subject_alt_names` in OpenSSL's syntax
/// (`"DNS:wrong.example"`, `"DNS:localhost,IP:127.0.0.1"`); the subject CN is the first DNS
/// name, or "vrnum test" when there is none.
cert_files make_self_signed_for(const std::filesystem::path& dir,
                                const std::string& subject_alt_names);

}  // namespace vrnum::test
