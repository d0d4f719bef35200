#pragma once
/// \file
/// The one-time code of an SMS, as the inbox shows it (SPEC §5). Pure and thread-safe.

#include <optional>
#include <string>
#include <string_view>

namespace vrnumd::numbers {

/// The first one-time code in `text`: a standalone run of 4 to 8 digits, or two groups of 3
/// digits joined by a space or a dash, as its digits; nullopt when there is none.
/// "Standalone": no digit or ASCII letter right before or after it.
std::optional<std::string> one_time_code(std::string_view text);

}  // namespace vrnumd::numbers
