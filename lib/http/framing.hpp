#pragma once
// Checks of a request head's raw bytes that Beast's parser does not make (obs-fold, bare CR
// or LF), done before the head is handed to it. Pure; fuzzed in tests/fuzz.

#include <cstddef>
#include <string_view>

namespace vrnum::detail {

enum class head_status {
    need_more,        ///< no complete head yet, within the limit
    complete,         ///< `length` bytes (after `skip`) hold the head, CRLFCRLF included
    bad_line_ending,  ///< a CR not followed by LF, or an LF not preceded by CR
    obs_fold,         ///< a line starting with SP or HTAB (RFC 9112 §5.2)
    too_large,        ///< the head exceeds the limit
};

struct head_scan {
    head_status status = head_status::need_more;
    std::size_t skip = 0;    ///< leading empty lines to discard (RFC 9112 §2.2)
    std::size_t length = 0;  ///< head length when complete
};

/// Scans the start of a connection's buffer for a complete, well-framed request head of at
/// most `max_head_bytes` bytes.
head_scan scan_request_head(std::string_view data, std::size_t max_head_bytes) noexcept;

}  // namespace vrnum::detail
