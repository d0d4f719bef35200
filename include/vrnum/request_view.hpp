#pragma once
/// \file
/// A non-owning view of an HTTP request: what sources verify and parse, so that they can be
/// tested with plain strings.

#include <string_view>
#include <utility>
#include <vector>

namespace vrnum {

/// One header field as received (name case preserved).
using header_field = std::pair<std::string_view, std::string_view>;

/// Method, target, headers and the raw body of one request. Does not own what it points at.
struct request_view {
    std::string_view method;
    std::string_view target;  ///< origin-form: path and query as received
    std::vector<header_field> headers;
    std::string_view body;

    /// The first header with this name (case-insensitive), or an empty view.
    std::string_view header(std::string_view name) const noexcept;
    /// True when a header with this name is present.
    bool has_header(std::string_view name) const noexcept;
    /// The path part of `target`.
    std::string_view path() const noexcept;
    /// The query part of `target` (without `?`), or empty.
    std::string_view query() const noexcept;
};

}  // namespace vrnum
