#include "support/http_client.hpp"

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <poll.h>
#include <sys/socket.h>

namespace vrnum::test {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = net::ip::tcp;

std::string http_answer::header(const std::string& name) const {
    for (const auto& [n, v] : headers) {
        if (beast::iequals(n, name)) {
            return v;
        }
    }
    return {};
}

struct http_connection::impl {
    net::io_context ioc;
    net::ssl::context ssl_ctx{net::ssl::context::tls_client};
    tcp::socket sock{ioc};
    std::unique_ptr<net::ssl::stream<tcp::socket&>> tls;
    beast::flat_buffer buffer;
    bool eof = false;

    template <class F>
    auto with_stream(F&& f) {
        if (tls) {
            return f(*tls);
        }
        return f(sock);
    }
};

http_connection::http_connection(const std::string& address, bool tls, const std::string& ca_file)
    : impl_(std::make_unique<impl>()) {
    auto colon = address.rfind(':');
    std::string host = address.substr(0, colon);
    if (host.front() == '[') {
        host = host.substr(1, host.size() - 2);
    }
    tcp::endpoint ep(net::ip::make_address(host),
                     static_cast<unsigned short>(std::stoi(address.substr(colon + 1))));
    impl_->sock.connect(ep);
    set_timeout(std::chrono::seconds(10));
    if (tls) {
        impl_->ssl_ctx.set_verify_mode(net::ssl::verify_peer);
        if (!ca_file.empty()) {
            impl_->ssl_ctx.load_verify_file(ca_file);
        }
        impl_->tls = std::make_unique<net::ssl::stream<tcp::socket&>>(impl_->sock, impl_->ssl_ctx);
        impl_->tls->set_verify_callback(net::ssl::host_name_verification("localhost"));
        impl_->tls->handshake(net::ssl::stream_base::client);
    }
}

http_connection::~http_connection() = default;
http_connection::http_connection(http_connection&&) noexcept = default;

void http_connection::set_timeout(std::chrono::milliseconds t) {
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(t.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((t.count() % 1000) * 1000);
    ::setsockopt(impl_->sock.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(impl_->sock.native_handle(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

bool http_connection::send(const std::string& bytes) {
    beast::error_code ec;
    impl_->with_stream([&](auto& s) { net::write(s, net::buffer(bytes), ec); });
    return !ec;
}

std::optional<http_answer> http_connection::read(bool head_request) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.body_limit(64 << 20);
    parser.skip(head_request);
    beast::error_code ec;
    impl_->with_stream([&](auto& s) { bhttp::read(s, impl_->buffer, parser, ec); });
    if (ec) {
        return std::nullopt;
    }
    auto& msg = parser.get();
    http_answer a;
    a.status = msg.result_int();
    for (const auto& f : msg) {
        a.headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    }
    a.body = msg.body();
    a.keep_alive = msg.keep_alive();
    return a;
}

bool http_connection::closed_by_peer() {
    impl_->buffer.consume(impl_->buffer.size());
    char sink[4096];
    for (;;) {
        beast::error_code ec;
        impl_->with_stream([&](auto& s) { s.read_some(net::buffer(sink), ec); });
        if (ec == net::error::eof || ec == net::error::connection_reset ||
            ec == net::ssl::error::stream_truncated) {
            return true;
        }
        if (ec) {
            return false;  // timeout (EAGAIN) or something else: still open
        }
    }
}

std::string http_connection::read_raw(std::size_t n) {
    std::string out;
    auto data = impl_->buffer.cdata();
    out.append(static_cast<const char*>(data.data()), std::min(n, data.size()));
    impl_->buffer.consume(out.size());
    char chunk[4096];
    while (out.size() < n) {
        beast::error_code ec;
        std::size_t got = 0;
        impl_->with_stream([&](auto& s) {
            got = s.read_some(net::buffer(chunk, std::min(sizeof chunk, n - out.size())), ec);
        });
        if (ec) {
            break;
        }
        out.append(chunk, got);
    }
    return out;
}

std::string http_connection::read_within(std::chrono::milliseconds wait) {
    std::string out;
    auto data = impl_->buffer.cdata();
    out.append(static_cast<const char*>(data.data()), data.size());
    impl_->buffer.consume(out.size());
    if (!out.empty()) {
        return out;
    }
    pollfd p{impl_->sock.native_handle(), POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(wait.count())) <= 0) {
        return out;
    }
    char chunk[4096];
    beast::error_code ec;
    std::size_t got = 0;
    impl_->with_stream([&](auto& s) { got = s.read_some(net::buffer(chunk), ec); });
    if (!ec) {
        out.append(chunk, got);
    } else {
        impl_->eof = true;
    }
    return out;
}

bool http_connection::eof() const {
    return impl_->eof;
}

std::optional<http_answer> request(
    const std::string& address, const std::string& method, const std::string& target,
    const std::string& body, const std::vector<std::pair<std::string, std::string>>& headers) {
    http_connection c(address);
    std::string req = method + " " + target + " HTTP/1.1\r\nHost: test\r\n";
    for (const auto& [n, v] : headers) {
        req += n + ": " + v + "\r\n";
    }
    if (!body.empty() || method == "POST" || method == "PUT" || method == "PATCH") {
        req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
    }
    req += "\r\n" + body;
    if (!c.send(req)) {
        return std::nullopt;
    }
    return c.read(method == "HEAD");
}

}  // namespace vrnum::test
