#include "accounts/attribution_input.hpp"

#include <boost/url/parse.hpp>

namespace vrnumd::accounts {
namespace {

// At most `max` bytes of UTF-8 `s`, never cutting a character; control characters dropped.
std::string capped(std::string_view s, std::size_t max) {
    std::string out;
    for (unsigned char c : s) {
        if (c < 0x20 || c == 0x7f) {
            continue;
        }
        out.push_back(static_cast<char>(c));
    }
    if (out.size() > max) {
        std::size_t n = max;
        while (n > 0 && (static_cast<unsigned char>(out[n]) & 0xC0) == 0x80) {
            --n;  // out[n] continues a character: cut before the character starts
        }
        out.resize(n);
    }
    return out;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) {
        c = c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
    }
    return out;
}

std::string referrer_host(std::string_view referrer, std::string_view own_host) {
    auto u = boost::urls::parse_uri(referrer);
    if (!u || (u->scheme() != "http" && u->scheme() != "https")) {
        return {};
    }
    std::string host = lower(u->host_address());
    if (host.empty() || host.size() > 253 || host == lower(own_host)) {
        return {};
    }
    return host;
}

}  // namespace

std::optional<attribution> attribution_from(const boost::json::object& in,
                                            std::string_view own_host) {
    auto get = [&](const char* key) -> std::string {
        const boost::json::value* v = in.if_contains(key);
        return v && v->is_string() ? capped(v->get_string(), max_utm_bytes) : std::string();
    };
    attribution a{get("utm_source"), get("utm_medium"),  get("utm_campaign"),
                  get("utm_term"),   get("utm_content"), {}};
    const boost::json::value* r = in.if_contains("referrer");
    if (r && r->is_string()) {
        a.referrer_host = referrer_host(r->get_string(), own_host);
    }
    if (a.empty()) {
        return std::nullopt;
    }
    return a;
}

}  // namespace vrnumd::accounts
