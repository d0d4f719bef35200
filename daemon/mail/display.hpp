#pragma once
/// \file
/// Money and times as mails and commands show them to people.

#include <cstdint>
#include <string>

#include <vrnum/message.hpp>
#include <vrnum/time.hpp>

namespace vrnumd::mail {

/// `amount_minor` cents as a decimal ("5.05", "-0.40").
inline std::string decimal_text(std::int64_t amount_minor) {
    std::string sign = amount_minor < 0 ? "-" : "";
    // Negating the most negative value would overflow; cents never get near it.
    std::uint64_t a = amount_minor < 0 ? 0 - static_cast<std::uint64_t>(amount_minor)
                                       : static_cast<std::uint64_t>(amount_minor);
    std::string cents = std::to_string(a % 100);
    return sign + std::to_string(a / 100) + "." + (cents.size() == 1 ? "0" : "") + cents;
}

/// `amount_minor` cents with the currency ("5.05 USD").
inline std::string money_text(std::int64_t amount_minor) {
    return decimal_text(amount_minor) + " USD";
}

/// A time to the minute ("2026-12-08 14:03 UTC").
inline std::string time_text(vrnum::unix_ms t) {
    std::string s = vrnum::format_rfc3339(t).substr(0, 16);
    s[10] = ' ';
    return s + " UTC";
}

/// A day ("2026-12-08").
inline std::string day_text(vrnum::unix_ms t) {
    return vrnum::format_rfc3339(t).substr(0, 10);
}

}  // namespace vrnumd::mail
