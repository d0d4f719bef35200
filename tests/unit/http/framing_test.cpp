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
