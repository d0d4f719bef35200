#include "http/client_ip.hpp"

#include <gtest/gtest.h>

namespace {

using vrnum::detail::proxy_policy;
using vrnum::detail::truncate_ip;
namespace ip = boost::asio::ip;

TEST(proxy_policy, ignores_the_header_from_untrusted_peers) {
    proxy_policy p({"10.0.0.0/8"}, "X-Forwarded-For");
    EXPECT_EQ(p.client_ip(ip::make_address("203.0.113.9"), "1.2.3.4"), "203.0.113.9");
}

TEST(proxy_policy, believes_trusted_proxies) {
    proxy_policy p({"10.0.0.0/8", "2001:db8::/32"}, "X-Forwarded-For");
    EXPECT_EQ(p.client_ip(ip::make_address("10.1.2.3"), "1.2.3.4"), "1.2.3.4");
    // A client-supplied entry on the left cannot override what the proxy appended.
    EXPECT_EQ(p.client_ip(ip::make_address("10.1.2.3"), "6.6.6.6, 1.2.3.4, 10.9.9.9"), "1.2.3.4");
    EXPECT_EQ(p.client_ip(ip::make_address("2001:db8::1"), "[2001:db8:1::5]:443, 5.6.7.8:1234"),
              "5.6.7.8");
    EXPECT_EQ(p.client_ip(ip::make_address("10.1.2.3"), ""), "10.1.2.3");
    EXPECT_EQ(p.client_ip(ip::make_address("10.1.2.3"), "garbage"), "10.1.2.3");
}

TEST(proxy_policy, without_header_uses_the_peer) {
    proxy_policy p({"127.0.0.1"}, "");
    EXPECT_EQ(p.client_ip(ip::make_address("127.0.0.1"), "1.2.3.4"), "127.0.0.1");
}

TEST(proxy_policy, single_addresses_and_mapped_v4) {
    proxy_policy p({"127.0.0.1", "::1"}, "CF-Connecting-IP");
    EXPECT_TRUE(p.trusted(ip::make_address("127.0.0.1")));
    EXPECT_TRUE(p.trusted(ip::make_address("::ffff:127.0.0.1")));
    EXPECT_TRUE(p.trusted(ip::make_address("::1")));
    EXPECT_FALSE(p.trusted(ip::make_address("127.0.0.2")));
}

TEST(truncate_ip, keeps_only_the_network) {
    EXPECT_EQ(truncate_ip("203.0.113.77"), "203.0.113.0/24");
    EXPECT_EQ(truncate_ip("2001:db8:abcd:12::1"), "2001:db8:abcd::/48");
    EXPECT_EQ(truncate_ip("::ffff:1.2.3.4"), "1.2.3.0/24");
    EXPECT_EQ(truncate_ip("nonsense"), "-");
}

}  // namespace
