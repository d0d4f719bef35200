#include <algorithm>
#include <charconv>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>

#include "config/library_sections.hpp"

// Value checks shared by the library's and the daemon's sections.
namespace vrnum {
namespace detail {

bool valid_listen_address(std::string_view text) {
    auto authority = boost::urls::parse_authority(text);
    if (!authority || authority->has_userinfo() || !authority->has_port()) {
        return false;
    }
    auto host = authority->host_type();
    bool host_ok =
        host == boost::urls::host_type::ipv4 || host == boost::urls::host_type::ipv6 ||
        (host == boost::urls::host_type::name && authority->encoded_host() == "localhost");
    std::string_view port = authority->port();
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    return host_ok && !port.empty() && port.size() <= 5 && ec == std::errc() &&
           end == port.data() + port.size() && value <= 65535;
}

bool valid_ip_or_cidr(std::string_view text) {
    boost::system::error_code ec;
    if (text.find('/') == std::string_view::npos) {
        boost::asio::ip::make_address(std::string(text), ec);
        return !ec;
    }
    if (text.find(':') == std::string_view::npos) {
        auto net = boost::asio::ip::make_network_v4(text, ec);
        return !ec && net.network() == net.address();
    }
    auto net = boost::asio::ip::make_network_v6(text, ec);
    return !ec && net.network() == net.address();
}

bool is_base64_of_size(std::string_view text, std::size_t size) {
    auto alphabet = [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '+' || c == '/';
    };
    if (text.empty() || text.size() % 4 != 0) {
        return false;
    }
    std::size_t pad = text.size() - text.find_last_not_of('=') - 1;
    if (pad > 2 || text.find_last_not_of('=') == std::string_view::npos) {
        return false;
    }
    std::string_view body = text.substr(0, text.size() - pad);
    if (!std::all_of(body.begin(), body.end(), alphabet)) {
        return false;
    }
    // size 0 means "any length".
    return size == 0 || text.size() / 4 * 3 - pad == size;
}

bool valid_web_url(std::string_view text, bool origin_only) {
    auto url = boost::urls::parse_absolute_uri(text);
    if (!url) {
        return false;
    }
    bool web = url->scheme_id() == boost::urls::scheme::http ||
               url->scheme_id() == boost::urls::scheme::https;
    return web && url->has_authority() && !url->encoded_host().empty() && !url->has_userinfo() &&
           !url->has_query() && !url->has_fragment() &&
           (!origin_only || url->encoded_path().empty() || url->encoded_path() == "/");
}

}  // namespace detail

std::string config_node::get_url(std::string_view key, std::string_view def,
                                 bool origin_only) const {
    std::string value = get_string(key, def);
    if (!value.empty() && !detail::valid_web_url(value, origin_only)) {
        fail(key, origin_only ? "expected scheme://host[:port] with http or https"
                              : "expected an absolute http:// or https:// URL without query");
    }
    return value;
}

std::vector<std::string> config_node::get_network_list(std::string_view key,
                                                       const std::vector<std::string>& def) const {
    std::vector<std::string> list = get_string_list(key, def);
    for (const auto& item : list) {
        if (!detail::valid_ip_or_cidr(item)) {
            fail(key, "'" + item + "' is not an IP address or CIDR network");
        }
    }
    return list;
}

}  // namespace vrnum
