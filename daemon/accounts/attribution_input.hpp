#pragma once
/// \file
/// What sign-up keeps of the `attribution` the page sends (SPEC §5): the five UTM values,
/// length-capped, and only the host name of `referrer`, and only when it is another site's.

#include <optional>
#include <string_view>

#include <boost/json/object.hpp>

#include "accounts/account_store.hpp"

namespace vrnumd::accounts {

/// Longest UTM value kept, in bytes (cut at a character boundary).
inline constexpr std::size_t max_utm_bytes = 100;

/// The attribution to keep from `in` for a site whose own host is `own_host`; nullopt when
/// nothing is left. Values of the wrong type and unknown keys are dropped, never refused.
std::optional<attribution> attribution_from(const boost::json::object& in,
                                            std::string_view own_host);

}  // namespace vrnumd::accounts
