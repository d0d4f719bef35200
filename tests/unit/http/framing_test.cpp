#include "http/framing.hpp"

#include <gtest/gtest.h>

namespace {

using vrnum::detail::head_status;
using vrnum::detail::scan_request_head;

TEST(scan_request_head, finds_a_complete_head) {
    std::string req = "GET / HTTP/1.1\r\nHost: a\r\n\r\nBODY";
    auto r = scan_request_head(req, 1024);
    EXPECT_EQ(r.status, head_status::complete);
    EXPECT_EQ(r.skip, 0u);
    EXPECT_EQ(r.length, req.size() - 4);
}

TEST(scan_request_head, asks_for_more_until_the_empty_line) {
    std::string req = "GET / HTTP/1.1\r\nHost: a\r\n";
    for (std::size_t n = 0; n <= req.size(); ++n) {
        EXPECT_EQ(scan_request_head(req.substr(0, n), 1024).status, head_status::need_more) << n;
    }
    EXPECT_EQ(scan_request_head(req + "\r", 1024).status, head_status::need_more);
}

TEST(scan_request_head, skips_leading_empty_lines) {
    auto r = scan_request_head("\r\n\r\nGET / HTTP/1.1\r\n\r\n", 1024);
    EXPECT_EQ(r.status, head_status::complete);
    EXPECT_EQ(r.skip, 4u);
    EXPECT_EQ(r.length, 18u);
}

TEST(scan_request_head, a_flood_of_empty_lines_is_too_large) {
    std::string flood;
    for (int i = 0; i < 600; ++i) {
        flood += "\r\n";
    }
    EXPECT_EQ(scan_request_head(flood, 1024).status, head_status::too_large);
    EXPECT_EQ(scan_request_head(flood.substr(0, 100), 1024).status, head_status::need_more);
}

TEST(scan_request_head, rejects_obs_fold) {
    auto r = scan_request_head("GET / HTTP/1.1\r\nX-A: 1\r\n  folded\r\n\r\n", 1024);
    EXPECT_EQ(r.status, head_status::obs_fold);
    r = scan_request_head("GET / HTTP/1.1\r\n\tX-A: 1\r\n\r\n", 1024);
    EXPECT_EQ(r.status, head_status::obs_fold);
}

TEST(scan_request_head, rejects_bare_lf_and_bare_cr) {
    EXPECT_EQ(scan_request_head("GET / HTTP/1.1\nHost: a\r\n\r\n", 1024).status,
              head_status::bad_line_ending);
    EXPECT_EQ(scan_request_head("GET / HTTP/1.1\r\nHost: a\n\n", 1024).status,
              head_status::bad_line_ending);
    EXPECT_EQ(scan_request_head("GET / HTTP/1.1\rHost: a\r\n\r\n", 1024).status,
              head_status::bad_line_ending);
    EXPECT_EQ(scan_request_head("GET / HTTP/1.1\r\nX: a\rb\r\n\r\n", 1024).status,
              head_status::bad_line_ending);
}

TEST(scan_request_head, enforces_the_limit) {
    std::string req = "GET / HTTP/1.1\r\nX-Long: " + std::string(100, 'a') + "\r\n\r\n";
    EXPECT_EQ(scan_request_head(req, req.size()).status, head_status::complete);
    EXPECT_EQ(scan_request_head(req, req.size() - 1).status, head_status::too_large);
    // An unterminated head is cut off at the limit, not read forever.
    EXPECT_EQ(scan_request_head(std::string(5000, 'a'), 4096).status, head_status::too_large);
}

TEST(scan_request_head, survives_hostile_bytes) {
    std::string junk;
    for (int i = 0; i < 4096; ++i) {
        junk.push_back(static_cast<char>((i * 131) & 0xff));
    }
    auto r = scan_request_head(junk, 1024);
    EXPECT_NE(r.status, head_status::complete);
    EXPECT_EQ(scan_request_head(std::string("\0\0\0", 3), 1024).status, head_status::need_more);
    EXPECT_EQ(scan_request_head("", 1024).status, head_status::need_more);
}

}  // namespace

using vrnum::detail::connection_field;
using vrnum::detail::format_response_head;
using vrnum::detail::response_framing;
using fields = std::vector<std::pair<std::string, std::string>>;

constexpr std::string_view date = "Wed, 25 Nov 2026 10:00:00 GMT";

TEST(format_response_head, writes_status_fields_and_length) {
    std::string out = "left over from the last answer";
    response_framing f;
    f.content_length = 17;
    ASSERT_TRUE(
        format_response_head(out, 200, {{"Content-Type", "application/json"}}, date, "00ff", f));
    EXPECT_EQ(out,
              "HTTP/1.1 200 OK\r\n"
              "Date: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
              "Content-Type: application/json\r\n"
              "X-Request-Id: 00ff\r\n"
              "Content-Length: 17\r\n"
              "\r\n");
}

TEST(format_response_head, keeps_the_handlers_fields_in_order_and_owns_the_framing) {
    std::string out;
    response_framing f;
    f.content_length = 0;
    f.connection = connection_field::keep_alive;
    fields in = {{"Allow", "GET, HEAD"},    {"content-length", "99"}, {"Transfer-Encoding", "gzip"},
                 {"CONNECTION", "upgrade"}, {"Date", "yesterday"},    {"X-Request-Id", "forged"},
                 {"Retry-After", "1"}};
    ASSERT_TRUE(format_response_head(out, 405, in, date, "r1", f));
    EXPECT_EQ(out,
              "HTTP/1.1 405 Method Not Allowed\r\n"
              "Date: Wed, 25 Nov 2026 10:00:00 GMT\r\n"
              "Allow: GET, HEAD\r\n"
              "Retry-After: 1\r\n"
              "X-Request-Id: r1\r\n"
              "Content-Length: 0\r\n"
              "Connection: keep-alive\r\n"
              "\r\n");
}

TEST(format_response_head, a_stream_is_chunked_and_closes) {
    std::string out;
    response_framing f;
    f.chunked = true;
    f.connection = connection_field::close;
    ASSERT_TRUE(
        format_response_head(out, 200, {{"Content-Type", "text/event-stream"}}, date, "r2", f));
    EXPECT_NE(out.find("\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"),
              std::string::npos)
        << out;
    EXPECT_EQ(out.find("Content-Length"), std::string::npos);
}

TEST(format_response_head, refuses_what_would_split_the_response) {
    std::string out;
    response_framing f;
    f.content_length = 0;
    EXPECT_FALSE(
        format_response_head(out, 200, {{"Location", "/a\r\nSet-Cookie: x=1"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"Location", "/a\nb"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"X-A", std::string("a\0b", 3)}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"X-A", "a\x7f"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"Bad Name", "v"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"X-A:", "v"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 200, {{"", "v"}}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 99, {}, date, "r", f));
    EXPECT_FALSE(format_response_head(out, 1000, {}, date, "r", f));
    // A tab and bytes above 0x7f are field content (RFC 9110 §5.5).
    EXPECT_TRUE(format_response_head(out, 200, {{"X-A", "a\tb \xc3\xa9"}}, date, "r", f));
    EXPECT_TRUE(format_response_head(out, 599, {}, date, "r", f));
    EXPECT_EQ(out.rfind("HTTP/1.1 599 ", 0), 0u) << out;
}
