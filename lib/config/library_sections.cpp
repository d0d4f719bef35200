#include "config/library_sections.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <climits>
#include <cstdint>
#include <set>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/network_v4.hpp>
#include <boost/asio/ip/network_v6.hpp>
#include <boost/url/authority_view.hpp>
#include <boost/url/parse.hpp>

namespace vrnum {
namespace {

constexpr std::array<std::pair<source_kind, std::string_view>, 6> kind_names{{
    {source_kind::twilio, "twilio"},
    {source_kind::telnyx, "telnyx"},
    {source_kind::vonage, "vonage"},
    {source_kind::plivo, "plivo"},
    {source_kind::standard_webhooks, "standard-webhooks"},
    {source_kind::hmac, "hmac"},
}};

void parse_server(const config_node& n, server_config& s) {
    s.listen = n.get_string("listen", s.listen);
    if (!detail::valid_listen_address(s.listen)) {
        n.fail("listen", "expected HOST:PORT (IPv4, [IPv6] or localhost; port 0..65535)");
    }
    s.public_base_url = n.get_url("public_base_url", s.public_base_url);
    s.admin_listen = n.get_string("admin_listen", s.admin_listen);
    if (!s.admin_listen.empty() && !detail::valid_listen_address(s.admin_listen)) {
        n.fail("admin_listen", "expected HOST:PORT (IPv4, [IPv6] or localhost; port 0..65535)");
    }
    s.trusted_proxies = n.get_network_list("trusted_proxies", s.trusted_proxies);
    s.client_ip_header = n.get_string("client_ip_header", s.client_ip_header);
    s.threads = static_cast<unsigned>(n.get_uint("threads", s.threads, 0, 1024));
    s.max_connections = n.get_uint("max_connections", s.max_connections, 1, SIZE_MAX);
    s.max_body_bytes = n.get_uint("max_body_bytes", s.max_body_bytes, 1, SIZE_MAX);
    s.max_header_bytes = n.get_uint("max_header_bytes", s.max_header_bytes, 1024, 1 << 20);
    auto seconds = [&n](std::string_view key, unsigned def) {
        return static_cast<unsigned>(n.get_uint(key, def, 1, UINT_MAX));
    };
    s.header_timeout_seconds = seconds("header_timeout_seconds", s.header_timeout_seconds);
    s.body_timeout_seconds = seconds("body_timeout_seconds", s.body_timeout_seconds);
    s.idle_timeout_seconds = seconds("idle_timeout_seconds", s.idle_timeout_seconds);

    config_node tls = n.child("tls");
    s.tls.cert_file = tls.get_path("cert_file", "");
    s.tls.key_file = tls.get_path("key_file", "");
    if (s.tls.cert_file.empty() != s.tls.key_file.empty()) {
        tls.fail(s.tls.cert_file.empty() ? "cert_file" : "key_file",
                 "cert_file and key_file must be set together");
    }
}

void parse_store(const config_node& n, store_config& s) {
    s.path = n.get_path("path", s.path.string());
    s.key_file = n.get_path("key_file", s.key_file.string());
    s.synchronous = n.get_choice("synchronous", "full", {"full", "normal"}) == "full"
                        ? sync_mode::full
                        : sync_mode::normal;
    s.batch_max = n.get_uint("batch_max", s.batch_max, 1, 65536);
    s.queue_max = n.get_uint("queue_max", s.queue_max, 1, SIZE_MAX);
}

void parse_log(const config_node& n, log_config& l) {
    l.dir = n.get_path("dir", l.dir.string());
    l.to_stderr = n.get_bool("stderr", l.to_stderr);
    l.level = n.get_choice("level", l.level,
                           {"trace", "debug", "info", "warn", "error", "critical", "off"});
}

bool valid_source_id(std::string_view id) {
    auto ok = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
    if (id.empty() || id.size() > 64 || !ok(id[0])) {
        return false;
    }
    return std::all_of(id.begin(), id.end(), [&](char c) { return ok(c) || c == '_' || c == '-'; });
}

// `singular` or `plural` (a non-empty list), never both; an empty result when neither.
std::vector<std::string> one_or_many(const config_node& n, std::string_view singular,
                                     std::string_view plural) {
    if (n.has(singular) && n.has(plural)) {
        n.fail(plural,
               "set " + std::string(singular) + " or " + std::string(plural) + ", not both");
    }
    // Both are read either way, so that a null one is not reported as unknown.
    auto values = n.get_string_list(plural);
    std::string one = n.get_string(singular, "");
    if (n.has(plural)) {
        if (values.empty()) {
            n.fail(plural, "must not be empty");
        }
        if (std::find(values.begin(), values.end(), "") != values.end()) {
            n.fail(plural, "must not hold an empty value");
        }
        return values;
    }
    if (n.has(singular)) {
        if (one.empty()) {
            n.fail(singular, "must not be empty");
        }
        return {one};
    }
    return {};
}

std::vector<std::string> required_one_or_many(const config_node& n, std::string_view singular,
                                              std::string_view plural) {
    auto values = one_or_many(n, singular, plural);
    if (values.empty()) {
        n.fail("", "needs " + std::string(singular) + " or " + std::string(plural));
    }
    return values;
}

void parse_fields(const config_node& n, field_pointers& f) {
    auto pointer = [&n](std::string_view key, const std::string& def) {
        std::string value = n.get_string(key, def);
        if (!value.empty() && value[0] != '/') {
            n.fail(key, "expected a JSON Pointer starting with '/', got '" + value + "'");
        }
        return value;
    };
    f.id = pointer("id", f.id);
    f.from = pointer("from", f.from);
    f.to = pointer("to", f.to);
    f.text = pointer("text", f.text);
    f.sent_at = pointer("sent_at", f.sent_at);
}

void check_each(const config_node& n, std::string_view singular, std::string_view plural,
                const std::vector<std::string>& values, bool (*ok)(std::string_view),
                std::string_view expected) {
    for (const auto& v : values) {
        if (!ok(v)) {
            n.fail(n.has(singular) ? singular : plural, "expected " + std::string(expected));
        }
    }
}

bool ed25519_key(std::string_view v) {
    return detail::is_base64_of_size(v, 32);
}

bool whsec(std::string_view v) {
    return v.substr(0, 6) == "whsec_" && v.size() > 6 && detail::is_base64_of_size(v.substr(6), 0);
}

bool whpk(std::string_view v) {
    return v.substr(0, 5) == "whpk_" && detail::is_base64_of_size(v.substr(5), 32);
}

void parse_kind_keys(const config_node& n, source_config& s) {
    switch (s.kind) {
        case source_kind::twilio:
        case source_kind::plivo:
            s.secrets = required_one_or_many(n, "auth_token", "auth_tokens");
            break;
        case source_kind::telnyx:
            s.public_keys = required_one_or_many(n, "public_key", "public_keys");
            check_each(n, "public_key", "public_keys", s.public_keys, ed25519_key,
                       "the base64 of a 32-byte Ed25519 public key");
            break;
        case source_kind::vonage:
            s.secrets = required_one_or_many(n, "signature_secret", "signature_secrets");
            s.signature_method =
                n.get_choice("signature_method", s.signature_method,
                             {"md5hash", "md5hmac", "sha1hmac", "sha256hmac", "sha512hmac"});
            break;
        case source_kind::standard_webhooks:
            s.secrets = one_or_many(n, "secret", "secrets");
            s.public_keys = one_or_many(n, "public_key", "public_keys");
            if (s.secrets.empty() && s.public_keys.empty()) {
                n.fail("", "needs secret(s) or public_key(s)");
            }
            check_each(n, "secret", "secrets", s.secrets, whsec, "whsec_ followed by base64");
            check_each(n, "public_key", "public_keys", s.public_keys, whpk,
                       "whpk_ followed by the base64 of a 32-byte Ed25519 public key");
            parse_fields(n.child("fields"), s.fields);
            break;
        case source_kind::hmac:
            s.secrets = required_one_or_many(n, "secret", "secrets");
            s.header = n.require_string("header");
            s.algorithm = n.get_choice("algorithm", s.algorithm, {"sha1", "sha256", "sha512"});
            s.encoding = n.get_choice("encoding", s.encoding, {"hex", "base64"});
            s.prefix = n.get_string("prefix", s.prefix);
            s.timestamp_header = n.get_string("timestamp_header", s.timestamp_header);
            parse_fields(n.child("fields"), s.fields);
            break;
    }
}

std::string kind_list() {
    std::string out;
    for (const auto& [kind, name] : kind_names) {
        out += out.empty() ? "" : ", ";
        out += name;
    }
    return out;
}

source_config parse_source(const config_node& n, const std::set<std::string>& taken) {
    source_config s;
    s.id = n.require_string("id");
    if (!valid_source_id(s.id)) {
        n.fail("id", "expected 1-64 of a-z 0-9 _ - (starting with a letter or digit)");
    }
    if (s.id == "cryptomus") {
        n.fail("id", "'cryptomus' is reserved for payments.cryptomus");
    }
    if (taken.count(s.id) != 0) {
        n.fail("id", "duplicate source id '" + s.id + "'");
    }
    std::string kind = n.require_string("kind");
    auto parsed = parse_source_kind(kind);
    if (!parsed) {
        n.fail("kind", "must be one of " + kind_list() + ", got '" + kind + "'");
    }
    s.kind = *parsed;
    parse_kind_keys(n, s);
    s.tolerance_seconds =
        static_cast<unsigned>(n.get_uint("tolerance_seconds", s.tolerance_seconds, 1, UINT_MAX));
    s.multipart_timeout_seconds = static_cast<unsigned>(
        n.get_uint("multipart_timeout_seconds", s.multipart_timeout_seconds, 1, UINT_MAX));
    return s;
}

}  // namespace

std::optional<source_kind> parse_source_kind(std::string_view text) {
    for (const auto& [kind, name] : kind_names) {
        if (name == text) {
            return kind;
        }
    }
    return std::nullopt;
}

std::string_view to_string(source_kind kind) {
    for (const auto& [k, name] : kind_names) {
        if (k == kind) {
            return name;
        }
    }
    return "unknown";
}

namespace detail {

const std::vector<std::string_view>& library_section_names() {
    static const std::vector<std::string_view> names{"server", "store", "log", "sources"};
    return names;
}

void parse_library_sections(const config_node& root, config& out) {
    parse_server(root.child("server"), out.server);
    parse_store(root.child("store"), out.store);
    parse_log(root.child("log"), out.log);
    std::set<std::string> ids;
    for (const config_node& item : root.items("sources")) {
        out.sources.push_back(parse_source(item, ids));
        ids.insert(out.sources.back().id);
    }
}

}  // namespace detail
}  // namespace vrnum
