#pragma once
// Content-Type checks for the sources (RFC 9110 §8.3.1): type and subtype compared without
// regard to case, parameters ignored.

#include <string_view>

namespace vrnum::detail {

/// The `type/subtype` of a Content-Type value, trimmed, parameters dropped (not lower-cased).
std::string_view media_type_of(std::string_view content_type) noexcept;

/// `application/json` or any `type/subtype+json` (e.g. `application/cloudevents+json`).
bool is_json_media_type(std::string_view content_type) noexcept;

/// `application/x-www-form-urlencoded`.
bool is_form_media_type(std::string_view content_type) noexcept;

}  // namespace vrnum::detail
