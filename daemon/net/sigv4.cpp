#include "net/sigv4.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <optional>

#include <openssl/evp.h>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"

namespace vrnumd::net {
namespace {

constexpr std::string_view algorithm = "AWS4-HMAC-SHA256";

// Headers a proxy or the HTTP layer may change or add after signing; botocore leaves the
// same ones out (plus `authorization`, which it removes before signing).
constexpr std::array<std::string_view, 4> unsigned_headers{"authorization", "expect", "user-agent",
                                                           "x-amzn-trace-id"};

bool is_unreserved(unsigned char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' || c == '\f';
}

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

std::string uri_encode(std::string_view text, bool keep_slash) {
    static constexpr char digits[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(text.size());
    for (unsigned char c : text) {
        if (is_unreserved(c) || (keep_slash && c == '/')) {
            out.push_back(static_cast<char>(c));
        } else {
            out.push_back('%');
            out.push_back(digits[c >> 4]);
            out.push_back(digits[c & 15]);
        }
    }
    return out;
}

int hex_value(char c) {
    if (is_digit(c)) {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return -1;
}

// `%XX` becomes its byte; a `%` not followed by two hex digits stays as it is.
std::string percent_decode(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        int hi = -1;
        int lo = -1;
        if (text[i] == '%' && i + 2 < text.size()) {
            hi = hex_value(text[i + 1]);
            lo = hex_value(text[i + 2]);
        }
        if (hi >= 0 && lo >= 0) {
            out.push_back(static_cast<char>(hi * 16 + lo));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

std::string to_lower(std::string_view text) {
    std::string out(text);
    for (char& c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// Trimmed, with each inner run of white space made one space.
std::string canonical_value(std::string_view value) {
    std::string out;
    bool pending_space = false;
    for (char c : value) {
        if (is_space(c)) {
            pending_space = !out.empty();
            continue;
        }
        if (pending_space) {
            out.push_back(' ');
            pending_space = false;
        }
        out.push_back(c);
    }
    return out;
}

std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data) {
    static constexpr unsigned char none = 0;
    std::array<unsigned char, EVP_MAX_MD_SIZE> out{};
    std::size_t len = 0;
    const auto* bytes = data.empty() ? &none : reinterpret_cast<const unsigned char*>(data.data());
    if (EVP_Q_mac(nullptr, "HMAC", nullptr, "SHA256", nullptr, key.data(), key.size(), bytes,
                  data.size(), out.data(), out.size(), &len) == nullptr) {
        return std::nullopt;
    }
    return std::string(reinterpret_cast<const char*>(out.data()), len);
}

std::optional<std::string> sha256_hex(std::string_view data) {
    auto raw = vrnum::detail::digest("SHA256", {data});
    if (!raw) {
        return std::nullopt;
    }
    return vrnum::detail::encode_hex(*raw);
}

bool valid_amz_date(std::string_view d) {
    if (d.size() != 16 || d[8] != 'T' || d[15] != 'Z') {
        return false;
    }
    for (std::size_t i = 0; i < 15; ++i) {
        if (i != 8 && !is_digit(d[i])) {
            return false;
        }
    }
    return true;
}

// The headers that are signed, lower-case and sorted by name, values of one name joined with
// `,` in the order given.
struct signed_headers {
    std::string canonical;  // `name:value\n` for each name
    std::string names;      // `a;b;c`
    std::optional<std::string> content_sha256;
};

bool replaced(const std::string& name, const aws_credentials& cred) {
    return name == "x-amz-date" || (name == "x-amz-security-token" && !cred.session_token.empty());
}

signed_headers collect_headers(const std::vector<http_header>& sent,
                               const std::vector<http_header>& added, const aws_credentials& cred) {
    std::vector<http_header> all;
    for (const auto& [name, value] : sent) {
        std::string lower = to_lower(canonical_value(name));
        bool skip = replaced(lower, cred) ||
                    std::find(unsigned_headers.begin(), unsigned_headers.end(), lower) !=
                        unsigned_headers.end();
        if (!skip) {
            all.emplace_back(std::move(lower), canonical_value(value));
        }
    }
    for (const auto& [name, value] : added) {
        all.emplace_back(to_lower(name), canonical_value(value));
    }
    std::stable_sort(all.begin(), all.end(),
                     [](const http_header& a, const http_header& b) { return a.first < b.first; });
    signed_headers out;
    for (std::size_t i = 0; i < all.size(); ++i) {
        bool same = i > 0 && all[i].first == all[i - 1].first;
        if (same) {
            out.canonical.back() = ',';
        } else {
            out.names += (out.names.empty() ? "" : ";") + all[i].first;
            out.canonical += all[i].first + ':';
        }
        out.canonical += all[i].second + '\n';
        if (all[i].first == "x-amz-content-sha256") {
            out.content_sha256 = all[i].second;
        }
    }
    return out;
}

// The HMAC of `string_to_sign` under the key derived from "AWS4" + secret through the date,
// the region, the service and "aws4_request".
std::optional<std::string> sign(std::string_view secret, std::string_view date,
                                std::string_view region, std::string_view service,
                                std::string_view string_to_sign) {
    std::optional<std::string> key = "AWS4" + std::string(secret);
    for (std::string_view part : {date, region, service, std::string_view("aws4_request")}) {
        key = hmac_sha256(*key, part);
        if (!key) {
            return std::nullopt;
        }
    }
    return hmac_sha256(*key, string_to_sign);
}

std::vector<http_header> added_headers(const aws_credentials& cred, std::string_view amz_date) {
    std::vector<http_header> added{{"X-Amz-Date", std::string(amz_date)}};
    if (!cred.session_token.empty()) {
        added.emplace_back("X-Amz-Security-Token", cred.session_token);
    }
    return added;
}

}  // namespace

std::string sigv4_canonical_uri(std::string_view path) {
    // RFC 3986 §5.2.4 as botocore applies it: empty and "." segments dropped, ".." drops the
    // segment before it; the leading slash, and a trailing one, kept.
    std::vector<std::string_view> segments;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t end = std::min(path.find('/', start), path.size());
        std::string_view seg = path.substr(start, end - start);
        if (seg == "..") {
            if (!segments.empty()) {
                segments.pop_back();
            }
        } else if (!seg.empty() && seg != ".") {
            segments.push_back(seg);
        }
        start = end + 1;
    }
    std::string out = path.empty() || path.front() == '/' ? "/" : "";
    for (std::size_t i = 0; i < segments.size(); ++i) {
        out += (i > 0 ? "/" : "") + uri_encode(segments[i], false);
    }
    if (!segments.empty() && !path.empty() && path.back() == '/') {
        out += '/';
    }
    return out;
}

std::string sigv4_canonical_query(std::string_view query) {
    std::vector<std::pair<std::string, std::string>> pairs;
    std::size_t start = 0;
    while (start < query.size()) {
        std::size_t end = std::min(query.find('&', start), query.size());
        std::string_view param = query.substr(start, end - start);
        if (!param.empty()) {
            std::size_t eq = std::min(param.find('='), param.size());
            std::string_view value = eq < param.size() ? param.substr(eq + 1) : "";
            pairs.emplace_back(uri_encode(percent_decode(param.substr(0, eq)), false),
                               uri_encode(percent_decode(value), false));
        }
        start = end + 1;
    }
    std::sort(pairs.begin(), pairs.end());
    std::string out;
    for (const auto& [name, value] : pairs) {
        out += (out.empty() ? "" : "&") + name + '=' + value;
    }
    return out;
}

vrnum::result<sigv4_result> sigv4_sign(const sigv4_request& req, const aws_credentials& cred,
                                       std::string_view region, std::string_view service,
                                       std::string_view amz_date) {
    if (!valid_amz_date(amz_date)) {
        return vrnum::errc::malformed;
    }
    sigv4_result r;
    r.added_headers = added_headers(cred, amz_date);
    signed_headers h = collect_headers(req.headers, r.added_headers, cred);
    std::optional<std::string> payload_hash =
        h.content_sha256 ? h.content_sha256 : sha256_hex(req.payload);
    if (!payload_hash) {
        return vrnum::errc::internal;
    }
    r.canonical_request = req.method + '\n' + sigv4_canonical_uri(req.path) + '\n' +
                          sigv4_canonical_query(req.query) + '\n' + h.canonical + '\n' + h.names +
                          '\n' + *payload_hash;
    std::string_view date = amz_date.substr(0, 8);
    std::string scope = std::string(date) + '/' + std::string(region) + '/' + std::string(service) +
                        "/aws4_request";
    std::optional<std::string> creq_hash = sha256_hex(r.canonical_request);
    if (!creq_hash) {
        return vrnum::errc::internal;
    }
    r.string_to_sign =
        std::string(algorithm) + '\n' + std::string(amz_date) + '\n' + scope + '\n' + *creq_hash;
    std::optional<std::string> mac =
        sign(cred.secret_access_key, date, region, service, r.string_to_sign);
    if (!mac) {
        return vrnum::errc::internal;
    }
    r.signature = vrnum::detail::encode_hex(*mac);
    r.authorization = std::string(algorithm) + " Credential=" + cred.access_key_id + '/' + scope +
                      ", SignedHeaders=" + h.names + ", Signature=" + r.signature;
    return r;
}

std::string amz_date(std::int64_t unix_ms) {
    using namespace std::chrono;
    sys_time<milliseconds> t{milliseconds{unix_ms}};
    sys_days day = floor<days>(t);
    year_month_day ymd{day};
    hh_mm_ss<seconds> hms{floor<seconds>(t - day)};
    std::array<char, 32> buf{};
    std::snprintf(buf.data(), buf.size(), "%04d%02u%02uT%02d%02d%02dZ", int(ymd.year()),
                  unsigned(ymd.month()), unsigned(ymd.day()), int(hms.hours().count()),
                  int(hms.minutes().count()), int(hms.seconds().count()));
    return buf.data();
}

}  // namespace vrnumd::net
