#include "http/router.hpp"

#include <gtest/gtest.h>

namespace {

using vrnum::detail::route_match;
using vrnum::detail::router;
using vrnum::detail::split_target;
namespace http = vrnum::http;

http::route make(std::string method, std::string pattern) {
    return {std::move(method), std::move(pattern), nullptr};
}

std::vector<std::string> segs(std::string_view target) {
    std::vector<std::string> s;
    EXPECT_TRUE(split_target(target, s)) << target;
    return s;
}

TEST(router, matches_literals_and_parameters) {
    router r;
    r.add(make("POST", "/webhooks/{id}"));
    r.add(make("GET", "/healthz"));
    auto m = r.find("POST", segs("/webhooks/tw?x=1"));
    ASSERT_EQ(m.kind, route_match::found);
    EXPECT_EQ(m.route->pattern, "/webhooks/{id}");
    EXPECT_EQ(m.params.at("id"), "tw");
    EXPECT_EQ(r.find("GET", segs("/healthz")).kind, route_match::found);
    EXPECT_EQ(r.find("GET", segs("/nope")).kind, route_match::not_found);
    EXPECT_EQ(r.find("POST", segs("/webhooks")).kind, route_match::not_found);
    EXPECT_EQ(r.find("POST", segs("/webhooks/a/b")).kind, route_match::not_found);
    EXPECT_EQ(r.find("POST", segs("/webhooks/")).kind, route_match::not_found);
}

TEST(router, prefers_a_literal_segment) {
    router r;
    r.add(make("GET", "/messages/{id}"));
    r.add(make("GET", "/messages/stream"));
    EXPECT_EQ(r.find("GET", segs("/messages/stream")).route->pattern, "/messages/stream");
    EXPECT_EQ(r.find("GET", segs("/messages/42")).route->pattern, "/messages/{id}");
}

TEST(router, answers_405_with_allow) {
    router r;
    r.add(make("GET", "/me"));
    r.add(make("PATCH", "/me"));
    auto m = r.find("DELETE", segs("/me"));
    EXPECT_EQ(m.kind, route_match::method_not_allowed);
    EXPECT_EQ(m.allow, "GET, HEAD, PATCH");
}

TEST(router, serves_head_from_get) {
    router r;
    r.add(make("GET", "/healthz"));
    auto m = r.find("HEAD", segs("/healthz"));
    ASSERT_EQ(m.kind, route_match::found);
    EXPECT_EQ(m.route->method, "GET");
}

TEST(router, decodes_parameters) {
    router r;
    r.add(make("GET", "/n/{id}"));
    auto m = r.find("GET", segs("/n/a%20b"));
    ASSERT_EQ(m.kind, route_match::found);
    EXPECT_EQ(m.params.at("id"), "a b");
}

TEST(router, rejects_duplicates_and_bad_patterns) {
    router r;
    r.add(make("GET", "/a/{x}"));
    EXPECT_THROW(r.add(make("GET", "/a/{y}")), std::invalid_argument);
    EXPECT_THROW(r.add(make("GET", "a")), std::invalid_argument);
    EXPECT_NO_THROW(r.add(make("POST", "/a/{x}")));
}

TEST(split_target, accepts_absolute_form) {
    std::vector<std::string> s;
    ASSERT_TRUE(split_target("http://gateway.example/webhooks/tw?x=1", s));
    EXPECT_EQ(s, (std::vector<std::string>{"webhooks", "tw"}));
}

TEST(split_target, rejects_what_is_not_a_request_target) {
    std::vector<std::string> s;
    EXPECT_FALSE(split_target("ftp://example.com/a", s));
    EXPECT_FALSE(split_target("*", s));
    EXPECT_FALSE(split_target("/a b", s));
    EXPECT_FALSE(split_target("/%zz", s));
    EXPECT_TRUE(split_target("/", s));
    EXPECT_TRUE(s.empty());
}

}  // namespace
