#include "config/daemon_config.hpp"

#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;

fs::path source_dir() {
    return vrnum::test::source_dir();
}

vrnumd::daemon_config load(const std::string& text) {
    return vrnumd::load_daemon_config_string(text, "d.yaml", "/base");
}

vrnum::config_error error_of(const std::string& text) {
    try {
        load(text);
    } catch (const vrnum::config_error& e) {
        return e;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return vrnum::config_error("", 0, 0, "", "");
}

std::string where(const vrnum::config_error& e) {
    return std::to_string(e.line()) + ":" + std::to_string(e.column()) + " " + e.key_path();
}

// Runs with the AWS variables unset, as on a developer's machine.
class daemon_config_env : public ::testing::Test {
  protected:
    void SetUp() override {
        ::unsetenv("AWS_ACCESS_KEY_ID");
        ::unsetenv("AWS_SECRET_ACCESS_KEY");
    }
    void TearDown() override { SetUp(); }
};

TEST_F(daemon_config_env, default_file_loads) {
    fs::path file = source_dir() / "conf" / "vrnum.yaml";
    ASSERT_TRUE(fs::exists(file)) << file;
    vrnumd::daemon_config c = vrnumd::load_daemon_config(file);
    fs::path conf = fs::absolute(file).lexically_normal().parent_path();
    EXPECT_EQ(c.lib.server.listen, "127.0.0.1:8080");
    EXPECT_EQ(c.lib.store.path, conf / "var" / "vrnum.db");
    EXPECT_EQ(c.lib.store.synchronous, vrnum::sync_mode::full);
    ASSERT_EQ(c.lib.sources.size(), 1u);
    EXPECT_EQ(c.lib.sources[0].id, "demo");
    EXPECT_EQ(c.lib.sources[0].kind, vrnum::source_kind::hmac);
    EXPECT_EQ(c.lib.sources[0].header, "X-Signature");
    EXPECT_EQ(c.lib.sources[0].fields.text, "/text");
    EXPECT_EQ(c.mail.transport, vrnumd::mail_transport::file);
    EXPECT_EQ(c.mail.file.dir, conf / "var" / "mail");
    EXPECT_EQ(c.mail.ses.access_key_id, "");
    EXPECT_FALSE(c.payments.cryptomus.has_value());
    EXPECT_EQ(c.numbers.provisioner, vrnumd::provisioner_kind::pool);
    ASSERT_EQ(c.numbers.pool.size(), 3u);
    EXPECT_EQ(c.numbers.pool[2].number, "+37255500003");
    EXPECT_EQ(c.numbers.pool[2].country, "EE");
    ASSERT_EQ(c.numbers.catalog.size(), 1u);
    EXPECT_EQ(c.numbers.catalog[0].price_minor, 500u);
    EXPECT_EQ(c.retention.support_days, 365u);
}

TEST_F(daemon_config_env, daemon_section_defaults) {
    vrnumd::daemon_config c = load("");
    EXPECT_EQ(c.http_client.ca_file, fs::path());
    EXPECT_EQ(c.http_client.timeout_seconds, 10u);
    EXPECT_FALSE(c.payments.cryptomus.has_value());
    EXPECT_EQ(c.mail.transport, vrnumd::mail_transport::file);
    EXPECT_EQ(c.mail.from, "VRNUM <no-reply@example.com>");
    EXPECT_EQ(c.mail.file.dir, fs::path("/base/var/mail"));
    EXPECT_EQ(c.mail.ses.region, "eu-west-1");
    EXPECT_EQ(c.mail.ses.endpoint, "");
    EXPECT_EQ(c.auth.session_idle_minutes, 720u);
    EXPECT_EQ(c.auth.session_absolute_hours, 168u);
    EXPECT_EQ(c.auth.rate_limit.per_ip_per_minute, 30u);
    EXPECT_EQ(c.auth.rate_limit.failed_logins_per_account, 10u);
    EXPECT_EQ(c.auth.turnstile.secret, "");
    EXPECT_EQ(c.auth.turnstile.siteverify_url,
              "https://challenges.cloudflare.com/turnstile/v0/siteverify");
    EXPECT_EQ(c.auth.turnstile.script_url, "https://challenges.cloudflare.com/turnstile/v0/api.js");
    EXPECT_EQ(c.numbers.provisioner, vrnumd::provisioner_kind::pool);
    ASSERT_EQ(c.numbers.pool.size(), 1u);
    EXPECT_EQ(c.numbers.pool[0].number, "+37255500001");
    ASSERT_EQ(c.numbers.catalog.size(), 1u);
    EXPECT_EQ(c.numbers.catalog[0].days, 30u);
    EXPECT_EQ(c.numbers.quarantine_days, 30u);
    EXPECT_EQ(c.numbers.expiry_warning_days, (std::vector<unsigned>{3, 1}));
    EXPECT_EQ(c.numbers.auto_renew_hours_before, 24u);
    EXPECT_EQ(c.site.name, "VRNUM");
    EXPECT_EQ(c.site.contacts.privacy, "privacy@example.com");
    EXPECT_EQ(c.site.contacts.security, "security@example.com");
    EXPECT_EQ(c.analytics.ga4_measurement_id, "");
    EXPECT_EQ(c.retention.sms_days, 30u);
    EXPECT_EQ(c.retention.account_deletion_days, 30u);
    EXPECT_EQ(c.retention.transaction_years, 5u);
    EXPECT_EQ(c.retention.server_log_days, 90u);
    EXPECT_EQ(c.retention.support_days, 365u);

    vrnumd::daemon_config z = load(
        "retention: { sms_days: 0, account_deletion_days: 0, transaction_years: 0, "
        "server_log_days: 0, support_days: 0 }\nnumbers: { pool: [], catalog: [] }\n");
    EXPECT_EQ(z.retention.sms_days, 0u);
    EXPECT_TRUE(z.numbers.pool.empty());
    EXPECT_TRUE(z.numbers.catalog.empty());
}

TEST_F(daemon_config_env, ses_env_vars_matter_only_with_the_ses_transport) {
    const std::string ses = R"(mail:
  transport: TRANSPORT
  ses:
    region: eu-central-1
    access_key_id: "${AWS_ACCESS_KEY_ID}"
    secret_access_key: "${AWS_SECRET_ACCESS_KEY}"
    endpoint: "http://127.0.0.1:4566"
)";
    auto with = [&](const char* transport) {
        std::string text = ses;
        text.replace(text.find("TRANSPORT"), 9, transport);
        return text;
    };
    EXPECT_EQ(load(with("file")).mail.ses.region, "eu-central-1");
    EXPECT_EQ(load("mail: { transport: file }").mail.ses.access_key_id, "");

    auto e = error_of(with("ses"));
    EXPECT_EQ(where(e), "5:20 mail.ses.access_key_id");
    EXPECT_EQ(e.detail(), "environment variable AWS_ACCESS_KEY_ID is not set");
    // The defaults name the same variables.
    EXPECT_EQ(error_of("mail: { transport: ses }").key_path(), "mail.ses.access_key_id");

    ::setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    ::setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI", 1);
    vrnumd::daemon_config c = load(with("ses"));
    EXPECT_EQ(c.mail.transport, vrnumd::mail_transport::ses);
    EXPECT_EQ(c.mail.ses.access_key_id, "AKIDEXAMPLE");
    EXPECT_EQ(c.mail.ses.secret_access_key, "wJalrXUtnFEMI");
    EXPECT_EQ(c.mail.ses.endpoint, "http://127.0.0.1:4566");
    EXPECT_EQ(load("mail: { transport: ses }").mail.ses.access_key_id, "AKIDEXAMPLE");

    ::setenv("AWS_ACCESS_KEY_ID", "", 1);
    EXPECT_EQ(error_of(with("ses")).detail(), "is required when mail.transport is ses");
    EXPECT_THROW(load("mail: { transport: smtp }"), vrnum::config_error);
    EXPECT_THROW(load("mail: { ses: { endpoint: \"https://h/path\" } }"), vrnum::config_error);
}

TEST_F(daemon_config_env, mail_from_must_be_an_address) {
    EXPECT_EQ(load("mail: { from: 'Shop <shop@example.com>' }").mail.from,
              "Shop <shop@example.com>");
    EXPECT_EQ(load("mail: { from: shop@example.com }").mail.from, "shop@example.com");
    for (const char* bad : {"mail: { from: '' }", "mail: { from: 'Shop' }",
                            "mail: { from: 'Shop <shop@example.com' }",
                            "mail: { from: \"a@b.c\\r\\nBcc: x@y.z\" }"}) {
        auto e = error_of(bad);
        EXPECT_EQ(e.key_path(), "mail.from") << bad;
        EXPECT_NE(std::string(e.detail()).find("expected an address"), std::string::npos) << bad;
    }
}

TEST_F(daemon_config_env, cryptomus_required_keys) {
    auto e = error_of("payments:\n  cryptomus:\n    payment_api_key: k\n");
    EXPECT_EQ(where(e), "3:5 payments.cryptomus.merchant_id");
    EXPECT_EQ(e.detail(), "is required");
    EXPECT_EQ(error_of("payments:\n  cryptomus:\n    merchant_id: m\n").key_path(),
              "payments.cryptomus.payment_api_key");
    EXPECT_EQ(where(error_of("payments:\n  cryptomus:\n")), "2:3 payments.cryptomus.merchant_id");

    vrnumd::daemon_config c = load(R"(
payments:
  cryptomus:
    merchant_id: m-1
    payment_api_key: k-1
    allowed_ips: ["91.227.144.54", "10.0.0.0/8"]
)");
    ASSERT_TRUE(c.payments.cryptomus.has_value());
    EXPECT_EQ(c.payments.cryptomus->merchant_id, "m-1");
    EXPECT_EQ(c.payments.cryptomus->api_base_url, "https://api.cryptomus.com");
    EXPECT_EQ(c.payments.cryptomus->invoice_lifetime_seconds, 3600u);
    EXPECT_EQ(c.payments.cryptomus->allowed_ips.size(), 2u);
    for (const char* bad : {"api_base_url: \"ftp://x\"", "api_base_url: \"\"",
                            "allowed_ips: [\"1.2.3\"]", "invoice_lifetime_seconds: 10"}) {
        std::string text =
            std::string("payments: { cryptomus: { merchant_id: m, payment_api_key: k, ") + bad +
            " } }";
        EXPECT_THROW(load(text), vrnum::config_error) << bad;
    }
}

TEST_F(daemon_config_env, unknown_key_in_a_daemon_section) {
    EXPECT_EQ(where(error_of("auth:\n  rate_limit:\n    per_ip: 5\n")),
              "3:5 auth.rate_limit.per_ip");
    EXPECT_EQ(where(error_of("retention:\n  sms_dys: 5\n")), "2:3 retention.sms_dys");
    EXPECT_EQ(
        where(error_of("numbers:\n  catalog:\n    - { country: EE, days: 7, price_minr: 1 }\n")),
        "3:31 numbers.catalog[0].price_minr");
    // A missing required key is reported at its mapping.
    EXPECT_EQ(where(error_of("numbers:\n  pool:\n    - { number: \"+37255500001\", cc: EE }\n")),
              "3:7 numbers.pool[0].country");
    EXPECT_EQ(where(error_of("payments:\n  stripe: {}\n")), "2:3 payments.stripe");
    EXPECT_EQ(where(error_of("mailer: {}\n")), "1:1 mailer");
}

TEST_F(daemon_config_env, numbers_are_validated) {
    for (const char* text : {
             "numbers: { pool: [ { number: \"37255500001\", country: EE } ] }",
             "numbers: { pool: [ { number: \"+3725\", country: EE } ] }",
             "numbers: { pool: [ { number: \"+37255500001\", country: ee } ] }",
             "numbers: { pool: [ { number: \"+37255500001\" } ] }",
             "numbers: { pool: [ { number: \"+1555000001\", country: US }, "
             "{ number: \"+1555000001\", country: US } ] }",
             "numbers: { catalog: [ { country: EE, days: 0, price_minor: 1 } ] }",
             "numbers: { catalog: [ { country: EE, days: 30, price_minor: -1 } ] }",
             "numbers: { expiry_warning_days: [0] }",
             "numbers: { provisioner: http }",
             "numbers: { provisioner: http, http: { base_url: \"http://127.0.0.1:1\" } }",
             "numbers: { provisioner: magic }",
             "auth: { turnstile: { secret: s } }",
             "auth: { turnstile: { site_key: k, secret: s, siteverify_url: \"nope\" } }",
             "auth: { session_idle_minutes: 0 }",
             "analytics: { ga4_measurement_id: \"UA-1234\" }",
             "http_client: { timeout_seconds: 0 }",
             "site: { name: \"\" }",
         }) {
        EXPECT_THROW(load(text), vrnum::config_error) << text;
    }
    ::unsetenv("VRNUM_TEST_PROVISIONER_TOKEN");
    vrnumd::daemon_config pool =
        load("numbers: { http: { token: \"${VRNUM_TEST_PROVISIONER_TOKEN}\" } }");
    EXPECT_EQ(pool.numbers.http.token, "");
    const std::string http =
        "numbers: { provisioner: http, http: { token: \"${VRNUM_TEST_PROVISIONER_TOKEN}\", "
        "base_url: \"http://127.0.0.1:1\" } }";
    EXPECT_EQ(error_of(http).key_path(), "numbers.http.token");
    ::setenv("VRNUM_TEST_PROVISIONER_TOKEN", "tok", 1);
    vrnumd::daemon_config c = load(http);
    EXPECT_EQ(c.numbers.provisioner, vrnumd::provisioner_kind::http);
    EXPECT_EQ(c.numbers.http.token, "tok");
    ::unsetenv("VRNUM_TEST_PROVISIONER_TOKEN");
}

}  // namespace
