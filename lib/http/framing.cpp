#include "http/framing.hpp"

namespace vrnum::detail {

head_scan scan_request_head(std::string_view data, std::size_t max_head_bytes) noexcept {
    head_scan r;
    // A client may send CRLFs between pipelined requests; RFC 9112 §2.2 lets us skip them.
    while (r.skip + 1 < data.size() && data[r.skip] == '\r' && data[r.skip + 1] == '\n') {
        r.skip += 2;
    }
    // Empty lines count against the limit: a flood of them must not grow the buffer forever.
    if (r.skip >= max_head_bytes) {
        r.status = head_status::too_large;
        return r;
    }
    std::string_view head = data.substr(r.skip);
    std::size_t line_start = 0;
    for (std::size_t i = 0; i < head.size(); ++i) {
        if (i >= max_head_bytes) {
            r.status = head_status::too_large;
            return r;
        }
        const char c = head[i];
        if (i == line_start && line_start > 0 && (c == ' ' || c == '\t')) {
            r.status = head_status::obs_fold;
            return r;
        }
        if (c == '\n') {
            r.status = head_status::bad_line_ending;
            return r;
        }
        if (c != '\r') {
            continue;
        }
        if (i + 1 == head.size()) {
            break;
        }
        if (head[i + 1] != '\n') {
            r.status = head_status::bad_line_ending;
            return r;
        }
        if (i == line_start && line_start > 0) {
            if (i + 2 > max_head_bytes) {
                r.status = head_status::too_large;
                return r;
            }
            r.status = head_status::complete;
            r.length = i + 2;
            return r;
        }
        ++i;
        line_start = i + 1;
    }
    return r;
}

}  // namespace vrnum::detail
