#pragma once
/// \file
/// Hex and base64 as webhook signatures and keys carry them. Decoders are strict and return
/// nullopt on anything malformed; they never throw.

#include <optional>
#include <string>
#include <string_view>

namespace vrnum::detail {

/// Decodes hexadecimal digits of either case; nullopt on an odd length or any other character.
std::optional<std::string> decode_hex(std::string_view text);

/// Decodes base64 (RFC 4648 §4) or base64url (§5): padding optional, but when present it must
/// be correct; nullopt on whitespace, a stray `=`, an impossible length or a foreign character.
std::optional<std::string> decode_base64(std::string_view text);

/// Lower-case hex of `bytes`.
std::string encode_hex(std::string_view bytes);

/// Standard base64 with padding (RFC 4648 §4).
std::string encode_base64(std::string_view bytes);

}  // namespace vrnum::detail
