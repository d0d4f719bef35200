#include "http/client_ip.hpp"

#include <stdexcept>

#include "text/ascii.hpp"

namespace vrnum::detail {
namespace net = boost::asio;

namespace {

// "[::1]:443", "1.2.3.4:80" and bare addresses, as proxies write them.
bool parse_entry(std::string_view s, net::ip::address& out) {
    s = trim_ows(s);
    if (!s.empty() && s.front() == '[') {
        auto end = s.find(']');
        if (end == std::string_view::npos) {
            return false;
        }
        s = s.substr(1, end - 1);
    } else if (s.find(':') == s.rfind(':') && s.find(':') != std::string_view::npos) {
        s = s.substr(0, s.find(':'));  // IPv4 with a port
    }
    boost::system::error_code ec;
    out = net::ip::make_address(std::string(s), ec);
    if (!ec && out.is_v6() && out.to_v6().is_v4_mapped()) {
        out = net::ip::make_address_v4(net::ip::v4_mapped, out.to_v6());
    }
    return !ec;
}

}  // namespace

proxy_policy::proxy_policy(const std::vector<std::string>& cidrs, std::string header)
    : header_(std::move(header)) {
    for (const std::string& c : cidrs) {
        std::string spec = c.find('/') == std::string::npos
                               ? c + (c.find(':') == std::string::npos ? "/32" : "/128")
                               : c;
        if (spec.find(':') == std::string::npos) {
            v4_.push_back(net::ip::make_network_v4(spec).canonical());
        } else {
            v6_.push_back(net::ip::make_network_v6(spec).canonical());
        }
    }
}

bool proxy_policy::trusted(const net::ip::address& a) const noexcept {
    net::ip::address addr = a;
    if (addr.is_v6() && addr.to_v6().is_v4_mapped()) {
        addr = net::ip::make_address_v4(net::ip::v4_mapped, addr.to_v6());
    }
    if (addr.is_v4()) {
        for (const auto& n : v4_) {
            if (net::ip::network_v4(addr.to_v4(), n.prefix_length()).canonical() == n) {
                return true;
            }
        }
        return false;
    }
    for (const auto& n : v6_) {
        if (net::ip::network_v6(addr.to_v6(), n.prefix_length()).canonical() == n) {
            return true;
        }
    }
    return false;
}

std::string proxy_policy::client_ip(const net::ip::address& peer,
                                    std::string_view header_value) const {
    if (header_.empty() || header_value.empty() || !trusted(peer)) {
        return peer.to_string();
    }
    // Walk from the right: each trusted hop may have appended the one before it.
    std::string_view rest = header_value;
    std::string leftmost;
    while (!rest.empty()) {
        auto comma = rest.rfind(',');
        std::string_view item = comma == std::string_view::npos ? rest : rest.substr(comma + 1);
        rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(0, comma);
        net::ip::address a;
        if (!parse_entry(item, a)) {
            break;  // garbage: do not look further left
        }
        if (!trusted(a)) {
            return a.to_string();
        }
        leftmost = a.to_string();
    }
    return leftmost.empty() ? peer.to_string() : leftmost;
}

std::string truncate_ip(std::string_view ip) {
    boost::system::error_code ec;
    auto a = net::ip::make_address(std::string(ip), ec);
    if (ec) {
        return "-";
    }
    if (a.is_v6() && a.to_v6().is_v4_mapped()) {
        a = net::ip::make_address_v4(net::ip::v4_mapped, a.to_v6());
    }
    if (a.is_v4()) {
        return net::ip::network_v4(a.to_v4(), 24).network().to_string() + "/24";
    }
    return net::ip::network_v6(a.to_v6(), 48).network().to_string() + "/48";
}

}  // namespace vrnum::detail
