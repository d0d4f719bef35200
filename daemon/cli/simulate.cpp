#include "cli/simulate.hpp"

#include <fstream>
#include <ostream>
#include <random>
#include <sstream>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <vrnum/source.hpp>

namespace vrnumd {
namespace {

namespace net = boost::asio;
namespace bhttp = boost::beast::http;

std::string demo_id() {
    std::random_device rd;
    std::uniform_int_distribution<std::uint64_t> dist;
    static constexpr char hex[] = "0123456789abcdef";
    std::uint64_t v = dist(rd);
    std::string s;
    for (int i = 0; i < 12; ++i, v >>= 4) {
        s += hex[v & 15];
    }
    return "demo-" + s;
}

// One request on its own connection; the status, or 0 with `error` set.
unsigned post(const std::string& address, const vrnum::outgoing_request& r, std::string& error) {
    auto colon = address.rfind(':');
    std::string host = address.substr(0, colon);
    if (host.size() > 2 && host.front() == '[') {
        host = host.substr(1, host.size() - 2);
    }
    try {
        net::io_context ioc;
        boost::beast::tcp_stream stream(ioc);
        stream.expires_after(std::chrono::seconds(10));
        net::ip::tcp::resolver resolver(ioc);
        stream.connect(resolver.resolve(host, address.substr(colon + 1)));
        bhttp::request<bhttp::string_body> req{bhttp::verb::post, r.target, 11};
        req.set(bhttp::field::host, address);
        req.set(bhttp::field::user_agent, "vrnumd-simulate");
        for (const auto& [name, value] : r.headers) {
            req.set(name, value);
        }
        req.body() = r.body;
        req.prepare_payload();
        bhttp::write(stream, req);
        boost::beast::flat_buffer buffer;
        bhttp::response<bhttp::string_body> res;
        bhttp::read(stream, buffer, res);
        if (res.result_int() >= 300) {
            error = res.body();
        }
        return res.result_int();
    } catch (const std::exception& e) {
        error = e.what();
        return 0;
    }
}

}  // namespace

int run_simulate(const daemon_config& cfg, const simulate_options& opts, std::ostream& out,
                 std::ostream& err) {
    const vrnum::source_config* sc = nullptr;
    for (const auto& s : cfg.lib.sources) {
        sc = s.id == opts.source ? &s : sc;
    }
    if (!sc) {
        err << "vrnumd: no source \"" << opts.source << "\" in " << cfg.lib.file.string() << "\n";
        return 1;
    }
    std::string address = opts.address.empty() ? cfg.lib.server.listen : opts.address;
    if (address.ends_with(":0")) {
        err << "vrnumd: server.listen uses an ephemeral port; pass --address HOST:PORT\n";
        return 1;
    }
    if (cfg.lib.server.tls.enabled() && opts.address.empty()) {
        err << "vrnumd: simulate speaks plain HTTP; pass --address of a plain listener\n";
        return 1;
    }
    std::string key_pem;
    if (!opts.signing_key.empty()) {
        std::ifstream f(opts.signing_key, std::ios::binary);
        std::ostringstream text;
        text << f.rdbuf();
        key_pem = text.str();
        if (!f || key_pem.empty()) {
            err << "vrnumd: cannot read --signing-key " << opts.signing_key
                << " (or it is empty)\n";
            return 1;
        }
    }
    auto src = vrnum::make_source(*sc);
    // What the daemon checks URL-signing schemes against (SPEC §3 `public_base_url`).
    const std::string base_url = cfg.lib.server.public_base_url.empty()
                                     ? "http://" + cfg.lib.server.listen
                                     : cfg.lib.server.public_base_url;
    std::string to = cfg.numbers.pool.empty() ? "+37255500001" : cfg.numbers.pool.front().number;
    unsigned accepted = 0;
    for (unsigned i = 1; i <= opts.count; ++i) {
        vrnum::message m;
        m.provider_id = demo_id();
        m.from = "+447700900" + std::to_string(100 + i % 900);
        m.to = to;
        m.text = "Your demo code is " + std::to_string(100000 + (i * 7919) % 900000) + " (" +
                 std::to_string(i) + "/" + std::to_string(opts.count) + ")";
        const auto now = std::chrono::system_clock::now();
        std::optional<vrnum::outgoing_request> req;
        try {
            if (!key_pem.empty()) {
                req = src->demo_request_signed(m, base_url, now, key_pem);
            }
        } catch (const std::exception& e) {
            err << "vrnumd: --signing-key " << opts.signing_key << ": " << e.what() << "\n";
            return 1;
        }
        if (!req) {
            req = src->demo_request(m, base_url, now);
        }
        if (!req) {
            err << "vrnumd: source \"" << sc->id << "\" (" << vrnum::to_string(sc->kind)
                << ") verifies with public keys only; pass --signing-key FILE, the PEM Ed25519 "
                   "private key whose public half it is configured with (make one with "
                   "`openssl genpkey -algorithm ed25519 -out key.pem`; its public key, as "
                   "configured, is `openssl pkey -in key.pem -pubout -outform DER | tail -c 32 "
                   "| base64`, after `whpk_` for standard-webhooks)\n";
            return 1;
        }
        std::string error;
        unsigned status = post(address, *req, error);
        out << "POST http://" << address << req->target << " " << m.provider_id << " -> "
            << (status ? std::to_string(status) : "failed") << (error.empty() ? "" : " " + error)
            << std::endl;
        accepted += status >= 200 && status < 300;
    }
    out << accepted << " of " << opts.count << " accepted" << std::endl;
    return accepted == opts.count ? 0 : 1;
}

}  // namespace vrnumd
