#pragma once
// The bytes of HTTP/1.1 framing that the session handles itself: checks of a request head
// that Beast's parser does not make (obs-fold, bare CR or LF), done before the head is handed
// to it, and the response head. Pure; the request side is fuzzed in tests/fuzz.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

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

/// The `Connection` field of a response: none (HTTP/1.1 keeps the connection), `close`, or
/// `keep-alive` (which an HTTP/1.0 client needs to keep it).
enum class connection_field { none, close, keep_alive };

/// How a response's body is delimited and whether the connection stays open.
struct response_framing {
    std::optional<std::size_t> content_length;  ///< nullopt: chunked, or ended by the close
    bool chunked = false;
    connection_field connection = connection_field::none;
};

/// Writes an HTTP/1.1 response head into `out` (replacing what it held): the status line,
/// `Date`, the handler's `fields` in order, `X-Request-Id` and the framing fields, then the
/// empty line. The server owns `Date`, `X-Request-Id`, `Content-Length`, `Transfer-Encoding`
/// and `Connection`: a handler's fields of those names are left out. Returns false (and
/// leaves `out` unspecified) for a status outside 100-999, a field name that is not a token
/// or a value holding a control character other than HTAB (RFC 9110 §5.1, §5.5): such a
/// head would let a handler's value split the response.
bool format_response_head(std::string& out, unsigned status,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view date, std::string_view request_id,
                          const response_framing& framing);

}  // namespace vrnum::detail
