#include "config/daemon_config.hpp"

#include <algorithm>
#include <climits>
#include <set>
#include <utility>

#include "mail/mime.hpp"

namespace vrnumd {
namespace {

using vrnum::config_node;

constexpr std::uint64_t max_days = 36500;

unsigned get_unsigned(const config_node& n, std::string_view key, unsigned def, unsigned min,
                      unsigned max = UINT_MAX) {
    return static_cast<unsigned>(n.get_uint(key, def, min, max));
}

std::string require_when(const config_node& n, std::string_view key, std::string_view def,
                         bool required, std::string_view why) {
    std::string value = n.get_string(key, def);
    if (required && value.empty()) {
        n.fail(key, "is required " + std::string(why));
    }
    return value;
}

http_client_config parse_http_client(const config_node& n) {
    http_client_config c;
    c.ca_file = n.get_path("ca_file", "");
    c.timeout_seconds = get_unsigned(n, "timeout_seconds", c.timeout_seconds, 1, 3600);
    return c;
}

payments_config parse_payments(const config_node& n) {
    payments_config p;
    config_node node = n.child("cryptomus");
    if (!node.present()) {
        return p;
    }
    cryptomus_config c;
    c.merchant_id = node.require_string("merchant_id");
    c.payment_api_key = node.require_string("payment_api_key");
    c.api_base_url = node.get_url("api_base_url", c.api_base_url);
    if (c.api_base_url.empty()) {
        node.fail("api_base_url", "must not be empty");
    }
    // Cryptomus takes lifetimes from 5 minutes to 12 hours.
    c.invoice_lifetime_seconds =
        get_unsigned(node, "invoice_lifetime_seconds", c.invoice_lifetime_seconds, 300, 43200);
    c.allowed_ips = node.get_network_list("allowed_ips");
    p.cryptomus = std::move(c);
    return p;
}

mail_config parse_mail(const config_node& n) {
    mail_config m;
    m.transport = n.get_choice("transport", "file", {"file", "ses"}) == "ses"
                      ? mail_transport::ses
                      : mail_transport::file;
    m.from = n.get_string("from", m.from);
    if (!mail::parse_mailbox(m.from)) {
        n.fail("from",
               "expected an address such as 'VRNUM <no-reply@example.com>', got '" + m.from + "'");
    }
    m.file.dir = n.child("file").get_path("dir", m.file.dir.string());
    bool ses = m.transport == mail_transport::ses;
    // Not in use with the file transport: its `${AWS_*}` may be unset there.
    config_node s = n.child("ses", ses);
    std::string_view why = "when mail.transport is ses";
    m.ses.region = require_when(s, "region", m.ses.region, ses, why);
    m.ses.access_key_id = require_when(s, "access_key_id", "${AWS_ACCESS_KEY_ID}", ses, why);
    m.ses.secret_access_key =
        require_when(s, "secret_access_key", "${AWS_SECRET_ACCESS_KEY}", ses, why);
    m.ses.endpoint = s.get_url("endpoint", "", true);
    return m;
}

auth_config parse_auth(const config_node& n) {
    auth_config a;
    a.session_idle_minutes = get_unsigned(n, "session_idle_minutes", a.session_idle_minutes, 1);
    a.session_absolute_hours =
        get_unsigned(n, "session_absolute_hours", a.session_absolute_hours, 1);
    config_node r = n.child("rate_limit");
    a.rate_limit.per_ip_per_minute =
        get_unsigned(r, "per_ip_per_minute", a.rate_limit.per_ip_per_minute, 1);
    a.rate_limit.failed_logins_per_account =
        get_unsigned(r, "failed_logins_per_account", a.rate_limit.failed_logins_per_account, 1);
    config_node t = n.child("turnstile");
    a.turnstile.site_key = t.get_string("site_key", "");
    a.turnstile.secret = t.get_string("secret", "");
    if (a.turnstile.site_key.empty() != a.turnstile.secret.empty()) {
        t.fail(a.turnstile.site_key.empty() ? "site_key" : "secret",
               "site_key and secret must be set together");
    }
    a.turnstile.siteverify_url = t.get_url("siteverify_url", a.turnstile.siteverify_url);
    a.turnstile.script_url = t.get_url("script_url", a.turnstile.script_url);
    return a;
}

bool valid_country(std::string_view c) {
    return c.size() == 2 &&
           std::all_of(c.begin(), c.end(), [](char ch) { return ch >= 'A' && ch <= 'Z'; });
}

// `+`, then 8 to 15 digits, the first not 0.
bool valid_e164(std::string_view n) {
    if (n.size() < 9 || n.size() > 16 || n[0] != '+' || n[1] == '0') {
        return false;
    }
    return std::all_of(n.begin() + 1, n.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
}

std::string get_country(const config_node& n) {
    std::string country = n.require_string("country");
    if (!valid_country(country)) {
        n.fail("country", "expected two upper-case letters (ISO 3166-1), got '" + country + "'");
    }
    return country;
}

std::vector<pool_number> parse_pool(const std::vector<config_node>& items) {
    std::vector<pool_number> pool;
    std::set<std::string> seen;
    for (const config_node& item : items) {
        pool_number p;
        p.number = item.require_string("number");
        if (!valid_e164(p.number)) {
            item.fail("number", "expected E.164: '+' and 8 to 15 digits, got '" + p.number + "'");
        }
        if (!seen.insert(p.number).second) {
            item.fail("number", "duplicate number " + p.number);
        }
        p.country = get_country(item);
        pool.push_back(std::move(p));
    }
    return pool;
}

std::vector<catalog_entry> parse_catalog(const std::vector<config_node>& items) {
    std::vector<catalog_entry> catalog;
    std::set<std::pair<std::string, unsigned>> seen;
    for (const config_node& item : items) {
        catalog_entry c;
        c.country = get_country(item);
        c.days = get_unsigned(item, "days", c.days, 1, max_days);
        c.price_minor = item.get_uint("price_minor", 0, 0, INT64_MAX);
        if (!seen.emplace(c.country, c.days).second) {
            item.fail("days", "duplicate catalog entry for " + c.country + " and " +
                                  std::to_string(c.days) + " days");
        }
        catalog.push_back(std::move(c));
    }
    return catalog;
}

numbers_config parse_numbers(const config_node& n) {
    numbers_config c;
    c.provisioner = n.get_choice("provisioner", "pool", {"pool", "http"}) == "http"
                        ? provisioner_kind::http
                        : provisioner_kind::pool;
    // An absent (or null) list keeps the demo default; `[]` empties it.
    auto pool = n.items("pool");
    if (n.has("pool")) {
        c.pool = parse_pool(pool);
    }
    bool http = c.provisioner == provisioner_kind::http;
    config_node h = n.child("http", http);
    std::string_view why = "when numbers.provisioner is http";
    c.http.base_url = h.get_url("base_url", "");
    if (http && c.http.base_url.empty()) {
        h.fail("base_url", "is required " + std::string(why));
    }
    c.http.token = require_when(h, "token", "", http, why);
    auto catalog = n.items("catalog");
    if (n.has("catalog")) {
        c.catalog = parse_catalog(catalog);
    }
    c.quarantine_days = get_unsigned(n, "quarantine_days", c.quarantine_days, 0, max_days);
    std::vector<std::uint64_t> def(c.expiry_warning_days.begin(), c.expiry_warning_days.end());
    c.expiry_warning_days.clear();
    for (std::uint64_t days : n.get_uint_list("expiry_warning_days", def)) {
        if (days < 1 || days > max_days) {
            n.fail("expiry_warning_days", "each must be 1.." + std::to_string(max_days));
        }
        c.expiry_warning_days.push_back(static_cast<unsigned>(days));
    }
    c.auto_renew_hours_before =
        get_unsigned(n, "auto_renew_hours_before", c.auto_renew_hours_before, 0, max_days * 24);
    return c;
}

site_config parse_site(const config_node& n) {
    site_config s;
    s.name = n.get_string("name", s.name);
    if (s.name.empty()) {
        n.fail("name", "must not be empty");
    }
    config_node c = n.child("contacts");
    s.contacts.privacy = c.get_string("privacy", s.contacts.privacy);
    s.contacts.support = c.get_string("support", s.contacts.support);
    s.contacts.security = c.get_string("security", s.contacts.security);
    return s;
}

analytics_config parse_analytics(const config_node& n) {
    analytics_config a;
    a.ga4_measurement_id = n.get_string("ga4_measurement_id", "");
    const std::string& id = a.ga4_measurement_id;
    bool ok = id.empty() || (id.size() > 2 && id.compare(0, 2, "G-") == 0 &&
                             std::all_of(id.begin() + 2, id.end(), [](char ch) {
                                 return (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9');
                             }));
    if (!ok) {
        n.fail("ga4_measurement_id", "expected a GA4 measurement id such as G-ABC123XYZ");
    }
    return a;
}

retention_config parse_retention(const config_node& n) {
    retention_config r;
    r.sms_days = get_unsigned(n, "sms_days", r.sms_days, 0, max_days);
    r.account_deletion_days =
        get_unsigned(n, "account_deletion_days", r.account_deletion_days, 0, max_days);
    r.transaction_years = get_unsigned(n, "transaction_years", r.transaction_years, 0, 100);
    r.server_log_days = get_unsigned(n, "server_log_days", r.server_log_days, 0, max_days);
    r.support_days = get_unsigned(n, "support_days", r.support_days, 0, max_days);
    return r;
}

}  // namespace

void add_daemon_sections(vrnum::config_loader& loader, daemon_config& out) {
    loader.add_section("http_client",
                       [&out](const config_node& n) { out.http_client = parse_http_client(n); });
    loader.add_section("payments",
                       [&out](const config_node& n) { out.payments = parse_payments(n); });
    loader.add_section("mail", [&out](const config_node& n) { out.mail = parse_mail(n); });
    loader.add_section("auth", [&out](const config_node& n) { out.auth = parse_auth(n); });
    loader.add_section("numbers", [&out](const config_node& n) { out.numbers = parse_numbers(n); });
    loader.add_section("site", [&out](const config_node& n) { out.site = parse_site(n); });
    loader.add_section("analytics",
                       [&out](const config_node& n) { out.analytics = parse_analytics(n); });
    loader.add_section("retention",
                       [&out](const config_node& n) { out.retention = parse_retention(n); });
}

daemon_config load_daemon_config(const std::filesystem::path& file) {
    daemon_config out;
    vrnum::config_loader loader;
    add_daemon_sections(loader, out);
    out.lib = loader.load_file(file);
    return out;
}

daemon_config load_daemon_config_string(std::string_view text, std::string name,
                                        const std::filesystem::path& base_dir) {
    daemon_config out;
    vrnum::config_loader loader;
    add_daemon_sections(loader, out);
    out.lib = loader.load_string(text, std::move(name), base_dir);
    return out;
}

}  // namespace vrnumd
