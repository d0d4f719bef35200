// Fuzzes what the server does with a connection's first bytes: the framing scan, then
// Beast's request parser under the server's limits, body included.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "http/framing.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace bhttp = boost::beast::http;
    std::string_view bytes(reinterpret_cast<const char*>(data), size);
    auto scan = vrnum::detail::scan_request_head(bytes, 2048);
    if (scan.status != vrnum::detail::head_status::complete) {
        return 0;
    }
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(2048);
    parser.body_limit(4096);
    parser.eager(true);
    boost::beast::error_code ec;
    auto rest = bytes.substr(scan.skip);
    // Feed in two pieces, as a network read would, to exercise resumption.
    std::size_t half = rest.size() / 2;
    std::size_t used = parser.put(boost::asio::buffer(rest.data(), half), ec);
    if (ec == bhttp::error::need_more) {
        ec = {};
        used = 0;
    }
    if (!ec && used <= rest.size()) {
        parser.put(boost::asio::buffer(rest.data() + used, rest.size() - used), ec);
    }
    if (!ec && parser.is_done()) {
        volatile std::size_t n = parser.get().body().size();
        (void)n;
    }
    return 0;
}
