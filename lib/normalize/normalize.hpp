#pragma once
/// \file
/// Normalisation of what sources extract from a request (SPEC §4, "text and numbers"): UTF-8
/// validation, phone numbers to E.164 where they are numbers, provider timestamps to ms.
/// Pure functions: no state, safe from any thread, no exceptions on bad input.

#include <optional>
#include <string>
#include <string_view>

#include <vrnum/message.hpp>

namespace vrnum::detail {

/// True when `text` is valid UTF-8 (strict: no overlong forms, no surrogates, nothing above
/// U+10FFFF). The empty string is valid.
bool valid_utf8(std::string_view text) noexcept;

/// `text` without leading and trailing ASCII whitespace (space, tab, CR, LF, VT, FF).
std::string_view trim_ascii(std::string_view text) noexcept;

/// A sender or recipient as stored: E.164 where the value is a phone number, else as received.
///
/// The rule: trim surrounding ASCII whitespace; drop spaces, tabs, `-`, `.`, `(` and `)`;
/// a leading `00` becomes `+`. If what is left is an optional `+` (before any digit) and then 8 to
/// 15 digits of which the first is not `0`, the result is `+` and those digits (`447700900001` and
/// `+44 (7700) 900-001` both give `+447700900001`). Anything else — an alphanumeric sender
/// (`Google`), a short code (`12345`), a national number with a trunk `0` (`07700 900001`,
/// whose country cannot be known), a digit run too long for E.164 — is returned exactly as
/// received, only trimmed.
std::string normalize_number(std::string_view raw);

/// A provider's epoch timestamp as milliseconds: values above 10^11 are taken as milliseconds
/// already, smaller ones as seconds (10^11 s lies in the year 5138; 10^11 ms in 1973).
/// Fractions are rounded to the nearest millisecond. nullopt for a negative, non-finite, or
/// out-of-range value (past the year 9999).
std::optional<unix_ms> epoch_to_unix_ms(double value) noexcept;

}  // namespace vrnum::detail
