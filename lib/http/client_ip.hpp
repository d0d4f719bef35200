#pragma once
// Who the client is: the peer address, or the address a trusted proxy reports in
// `server.client_ip_header`. Immutable after construction; safe to share across threads.

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>

namespace vrnum::detail {

class proxy_policy {
  public:
    proxy_policy() = default;
    /// `cidrs` as validated by the config loader (a bare address is a /32 or /128).
    proxy_policy(const std::vector<std::string>& cidrs, std::string header);

    /// The header to read, or empty when none is configured.
    const std::string& header() const noexcept { return header_; }
    bool trusted(const boost::asio::ip::address& a) const noexcept;
    /// The client's address: the right-most untrusted entry of the header when the peer is a
    /// trusted proxy and the header is configured and present, else the peer.
    std::string client_ip(const boost::asio::ip::address& peer,
                          std::string_view header_value) const;

  private:
    std::vector<boost::asio::ip::network_v4> v4_;
    std::vector<boost::asio::ip::network_v6> v6_;
    std::string header_;
};

/// An address shortened for the log: IPv4 to its /24, IPv6 to its /48. Unparsable input
/// becomes "-".
std::string truncate_ip(std::string_view ip);

}  // namespace vrnum::detail
