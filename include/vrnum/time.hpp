#pragma once
/// \file
/// RFC 3339 timestamps as the API and the command line write and read them (UTC).

#include <optional>
#include <string>
#include <string_view>

#include <vrnum/message.hpp>

namespace vrnum {

/// `2026-01-02T03:04:05.678Z`.
std::string format_rfc3339(unix_ms t);
/// Parses `YYYY-MM-DDTHH:MM:SS[.frac](Z|±HH:MM)` (also a space or `t` for `T`, `z` for `Z`);
/// nullopt for anything else.
std::optional<unix_ms> parse_rfc3339(std::string_view text);

/// Now, in milliseconds since the epoch.
unix_ms now_unix_ms();

}  // namespace vrnum
