#pragma once
// Signatures computed the way a provider would, with OpenSSL directly (not our source code).

#include <string>
#include <string_view>

namespace vrnum::test {

/// Lower-case hex HMAC-SHA256 of `data` under `key`.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);

}  // namespace vrnum::test
