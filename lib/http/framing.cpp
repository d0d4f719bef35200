#include "http/framing.hpp"

#include <array>
#include <charconv>
#include <ostream>  // boost/beast/http/status.hpp uses it without including it

#include <boost/beast/http/status.hpp>

#include "text/ascii.hpp"

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

namespace {

bool is_token(std::string_view s) noexcept {
    static constexpr std::string_view specials = "!#$%&'*+-.^_`|~";
    if (s.empty()) {
        return false;
    }
    for (char c : s) {
        const bool alnum =
            (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
        if (!alnum && specials.find(c) == std::string_view::npos) {
            return false;
        }
    }
    return true;
}

bool is_field_value(std::string_view s) noexcept {
    for (char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f) {
            return false;
        }
    }
    return true;
}

bool server_owned(std::string_view name) noexcept {
    static constexpr std::array<std::string_view, 5> owned = {
        "date", "x-request-id", "content-length", "transfer-encoding", "connection"};
    for (std::string_view o : owned) {
        if (iequals_ascii(name, o)) {
            return true;
        }
    }
    return false;
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append("\r\n");
}

}  // namespace

bool format_response_head(std::string& out, unsigned status,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          std::string_view date, std::string_view request_id,
                          const response_framing& framing) {
    if (status < 100 || status > 999) {
        return false;
    }
    std::array<char, 24> num{};
    out.assign("HTTP/1.1 ");
    out.append(num.data(), std::to_chars(num.data(), num.data() + num.size(), status).ptr);
    out.push_back(' ');
    out.append(
        boost::beast::http::obsolete_reason(static_cast<boost::beast::http::status>(status)));
    out.append("\r\n");
    append_field(out, "Date", date);
    for (const auto& [name, value] : fields) {
        if (!is_token(name) || !is_field_value(value)) {
            return false;
        }
        if (!server_owned(name)) {
            append_field(out, name, value);
        }
    }
    append_field(out, "X-Request-Id", request_id);
    if (framing.content_length) {
        auto end = std::to_chars(num.data(), num.data() + num.size(), *framing.content_length).ptr;
        append_field(out, "Content-Length",
                     {num.data(), static_cast<std::size_t>(end - num.data())});
    } else if (framing.chunked) {
        append_field(out, "Transfer-Encoding", "chunked");
    }
    if (framing.connection != connection_field::none) {
        append_field(out, "Connection",
                     framing.connection == connection_field::close ? "close" : "keep-alive");
    }
    out.append("\r\n");
    return true;
}

}  // namespace vrnum::detail
