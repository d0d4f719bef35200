#pragma once
/// \file
/// Turnstile's siteverify answer, read without trusting it: only an explicit
/// `"success": true` passes.

#include <string_view>

namespace vrnumd::accounts {

/// What siteverify said.
enum class turnstile_outcome {
    passed,       ///< `success: true`
    failed,       ///< no token, or `success: false`
    unavailable,  ///< siteverify could not be asked or answered nonsense
};

/// Reads a siteverify answer: `passed` for a JSON object whose `success` is true, `failed`
/// when it is false, `unavailable` for anything else (another status, not JSON, no boolean).
turnstile_outcome parse_siteverify(unsigned status, std::string_view body);

}  // namespace vrnumd::accounts
