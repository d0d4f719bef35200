#pragma once
/// \file
/// vrnumd's configuration: the library's sections plus the daemon's own (`http_client`,
/// `payments`, `mail`, `auth`, `numbers`, `site`, `analytics`, `retention`), loaded by one
/// `vrnum::config_loader` so that every error names file:line:column and the key path.
/// Plain values: built once at start-up, then shared read-only by any thread.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/config.hpp>

namespace vrnumd {

/// `http_client`: vrnumd's own outbound HTTP(S).
struct http_client_config {
    std::filesystem::path ca_file;  ///< extra CAs; empty = the system store only
    unsigned timeout_seconds = 10;
};

/// `payments.cryptomus`: present = wallet top-ups on.
struct cryptomus_config {
    std::string merchant_id;      ///< required
    std::string payment_api_key;  ///< required
    std::string api_base_url = "https://api.cryptomus.com";
    unsigned invoice_lifetime_seconds = 3600;
    std::vector<std::string> allowed_ips;  ///< IPs/CIDRs, checked in addition to the signature
};

/// `payments`.
struct payments_config {
    std::optional<cryptomus_config> cryptomus;  ///< absent = top-ups off
};

/// `mail.transport`.
enum class mail_transport { file, ses };

/// `mail.file`: development transport writing `.eml` files.
struct mail_file_config {
    std::filesystem::path dir = "var/mail";
};

/// `mail.ses`: Amazon SES (read only when the transport is `ses`).
struct ses_config {
    std::string region = "eu-west-1";
    std::string access_key_id;      ///< default `${AWS_ACCESS_KEY_ID}`
    std::string secret_access_key;  ///< default `${AWS_SECRET_ACCESS_KEY}`
    std::string endpoint;           ///< scheme://host[:port]; empty = the region's
};

/// `mail`.
struct mail_config {
    mail_transport transport = mail_transport::file;
    std::string from = "VRNUM <no-reply@example.com>";
    mail_file_config file;
    ses_config ses;
};

/// `auth.rate_limit`.
struct rate_limit_config {
    unsigned per_ip_per_minute = 30;          ///< auth routes per client IP
    unsigned failed_logins_per_account = 10;  ///< consecutive failures per 15 minutes
};

/// `auth.turnstile`: Cloudflare Turnstile; an empty secret turns the check off.
struct turnstile_config {
    std::string site_key;
    std::string secret;
    std::string siteverify_url = "https://challenges.cloudflare.com/turnstile/v0/siteverify";
    std::string script_url = "https://challenges.cloudflare.com/turnstile/v0/api.js";
};

/// `auth`: sessions, rate limits and the bot check.
struct auth_config {
    unsigned session_idle_minutes = 720;
    unsigned session_absolute_hours = 168;
    rate_limit_config rate_limit;
    turnstile_config turnstile;
};

/// `numbers.provisioner`.
enum class provisioner_kind { pool, http };

/// One `numbers.pool` entry.
struct pool_number {
    std::string number;   ///< E.164
    std::string country;  ///< ISO 3166-1 alpha-2
};

/// `numbers.http`: the provisioning API of SPEC §9 (read only when the provisioner is `http`).
struct provisioner_http_config {
    std::string base_url;
    std::string token;
};

/// One `numbers.catalog` entry: a rental period and its price.
struct catalog_entry {
    std::string country;
    unsigned days = 30;
    std::uint64_t price_minor = 0;  ///< USD cents
};

/// `numbers`.
struct numbers_config {
    provisioner_kind provisioner = provisioner_kind::pool;
    std::vector<pool_number> pool{{"+37255500001", "EE"}};
    provisioner_http_config http;
    std::vector<catalog_entry> catalog{{"EE", 30, 500}};
    unsigned quarantine_days = 30;
    std::vector<unsigned> expiry_warning_days{3, 1};
    unsigned auto_renew_hours_before = 24;
};

/// `site.contacts`.
struct contacts_config {
    std::string privacy = "privacy@example.com";
    std::string support = "support@example.com";
    std::string security = "security@example.com";
};

/// `site`.
struct site_config {
    std::string name = "VRNUM";
    contacts_config contacts;
};

/// `analytics`: GA4 loads only when the id is set.
struct analytics_config {
    std::string ga4_measurement_id;
};

/// `retention`: how long things are kept; 0 = purge at the next run.
struct retention_config {
    unsigned sms_days = 30;
    unsigned account_deletion_days = 30;
    unsigned transaction_years = 5;
    unsigned server_log_days = 90;
    unsigned support_days = 365;
};

/// Everything vrnumd reads from its configuration file.
struct daemon_config {
    vrnum::config lib;
    http_client_config http_client;
    payments_config payments;
    mail_config mail;
    auth_config auth;
    numbers_config numbers;
    site_config site;
    analytics_config analytics;
    retention_config retention;
};

/// Registers the daemon's sections on `loader`, each filling its part of `out` (which must
/// outlive the loads).
void add_daemon_sections(vrnum::config_loader& loader, daemon_config& out);

/// Loads vrnumd's configuration file; throws vrnum::config_error.
daemon_config load_daemon_config(const std::filesystem::path& file);

/// Loads configuration text; `name` is used in messages, `base_dir` for relative paths.
daemon_config load_daemon_config_string(std::string_view text, std::string name,
                                        const std::filesystem::path& base_dir);

}  // namespace vrnumd
