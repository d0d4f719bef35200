#pragma once
/// \file
/// The library's own configuration sections (`server`, `store`, `log`, `sources`), parsed by
/// the loader before the sections an embedder registers. Private to lib/.

#include <string_view>
#include <vector>

#include <vrnum/config.hpp>

namespace vrnum::detail {

/// The top-level keys the library itself reads.
const std::vector<std::string_view>& library_section_names();

/// Fills `out` from the document's root mapping; throws config_error on a bad value.
void parse_library_sections(const config_node& root, config& out);

/// True for `HOST:PORT` with an IPv4 literal, a `[IPv6]` literal or `localhost`.
bool valid_listen_address(std::string_view text);

/// True for a single IPv4/IPv6 address or a CIDR network without host bits.
bool valid_ip_or_cidr(std::string_view text);

/// True for an absolute http(s) URL with a host and no userinfo, query or fragment; with
/// `origin_only`, no path either.
bool valid_web_url(std::string_view text, bool origin_only);

/// True when `text` is standard padded base64 that decodes to `size` bytes.
bool is_base64_of_size(std::string_view text, std::size_t size);

}  // namespace vrnum::detail
