// The built-in templates: every one renders with its parameters, links come from the base
// URL with tokens in the fragment, values are escaped in HTML only; SES answers classified.

#include "mail/templates.hpp"

#include <gtest/gtest.h>

#include "mail/ses_transport.hpp"

namespace {

using namespace vrnumd::mail;

const site_values site{"VRNUM", "https://sms.example.com", "support@example.com",
                       "privacy@example.com"};

// A value for each parameter the templates use.
boost::json::object sample_params(const template_set& t, const std::string& name) {
    boost::json::object p;
    for (const std::string& need : t.parameters(name)) {
        if (need == "auto_renew") {
            p[need] = true;
        } else if (need == "token") {
            p[need] = "tok_ABC-123_xyz";
        } else {
            p[need] = "<" + need + " & value>";
        }
    }
    return p;
}

TEST(mail_templates, the_issue_list_is_built_in) {
    auto names = template_set::builtin().names();
    for (const char* n :
         {"confirm_email", "signup_attempt", "password_reset", "email_change",
          "email_change_notice", "order_confirmation", "topup_receipt", "renewal_receipt",
          "expiry_warning", "auto_renew_failed", "deletion_scheduled", "deletion_completed",
          "support_reply", "policy_change", "test_message"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), n), names.end()) << n;
    }
}

TEST(mail_templates, every_template_renders_text_html_and_a_one_line_subject) {
    const auto& t = template_set::builtin();
    for (const std::string& name : t.names()) {
        SCOPED_TRACE(name);
        rendered_mail m = t.render(name, sample_params(t, name), site);
        EXPECT_FALSE(m.subject.empty());
        EXPECT_EQ(m.subject.find('\n'), std::string::npos);
        EXPECT_EQ(m.text.find("{{"), std::string::npos);
        EXPECT_EQ(m.html.find("{{"), std::string::npos);
        EXPECT_NE(m.text.find("support@example.com"), std::string::npos) << "layout footer";
        EXPECT_NE(m.html.find("https://sms.example.com/privacy"), std::string::npos);
        EXPECT_NE(m.html.find("<title>"), std::string::npos);
        // Values are escaped in HTML, as they are in text.
        for (const auto& [key, value] : sample_params(t, name)) {
            if (value.is_string() && key != "token") {
                std::string raw(value.get_string());
                EXPECT_EQ(m.html.find(raw), std::string::npos) << key << " unescaped in HTML";
            }
        }
    }
}

TEST(mail_templates, links_carry_tokens_in_the_fragment_of_the_base_url) {
    const auto& t = template_set::builtin();
    auto confirm = t.render("confirm_email", {{"token", "T0k3n"}, {"valid_hours", 24}}, site);
    EXPECT_NE(confirm.text.find("https://sms.example.com/confirm-email#token=T0k3n"),
              std::string::npos);
    EXPECT_NE(confirm.html.find("href=\"https://sms.example.com/confirm-email#token=T0k3n\""),
              std::string::npos);
    auto reset = t.render("password_reset", {{"token", "R3s3t"}, {"valid_minutes", 60}}, site);
    EXPECT_NE(reset.text.find("https://sms.example.com/reset-password#token=R3s3t"),
              std::string::npos);
    EXPECT_EQ(reset.text.find("?token="), std::string::npos) << "never in the query";
    auto change = t.render("email_change", {{"token", "Ch4"}, {"valid_hours", 24}}, site);
    EXPECT_NE(change.html.find("/confirm-email#token=Ch4"), std::string::npos);
}

TEST(mail_templates, sections_follow_booleans) {
    const auto& t = template_set::builtin();
    boost::json::object p{{"number", "+37255500001"},
                          {"expires_at", "2026-12-31"},
                          {"price", "$5.00"},
                          {"auto_renew", true}};
    auto on = t.render("expiry_warning", p, site);
    EXPECT_NE(on.text.find("Auto-renewal is on"), std::string::npos);
    EXPECT_NE(on.text.find("$5.00"), std::string::npos);
    p["auto_renew"] = false;
    auto off = t.render("expiry_warning", p, site);
    EXPECT_NE(off.text.find("Auto-renewal is off"), std::string::npos);
    EXPECT_EQ(off.text.find("Auto-renewal is on"), std::string::npos);
}

TEST(mail_templates, unknown_template_and_missing_values_are_refused) {
    const auto& t = template_set::builtin();
    EXPECT_THROW(t.render("no_such_mail", {}, site), std::invalid_argument);
    EXPECT_THROW(t.render("confirm_email", {{"valid_hours", 24}}, site), std::invalid_argument);
    EXPECT_THROW(t.render("confirm_email", {{"token", "x"}, {"valid_hours", 1.5}}, site),
                 std::invalid_argument);
}

TEST(mail_templates, a_folder_with_mistakes_is_refused_by_name) {
    std::map<std::string, std::string, std::less<>> files{{"layout.txt", "{{{content}}}"},
                                                          {"layout.html", "{{{content}}}"},
                                                          {"a.txt", "Subject: A\n\nText {{x}}"},
                                                          {"a.html", "<p>{{x}}</p>"}};
    EXPECT_NO_THROW(template_set{files});
    auto broken = files;
    broken["a.html"] = "<p>{{#x}}</p>";
    EXPECT_THROW(template_set{broken}, std::runtime_error);
    auto no_subject = files;
    no_subject["a.txt"] = "Text only";
    EXPECT_THROW(template_set{no_subject}, std::runtime_error);
    auto lone_html = files;
    lone_html["b.html"] = "<p></p>";
    EXPECT_THROW(template_set{lone_html}, std::runtime_error);
    auto no_layout = files;
    no_layout.erase("layout.html");
    EXPECT_THROW(template_set{no_layout}, std::runtime_error);
}

TEST(ses_answers, throttling_and_server_errors_retry_other_client_errors_are_final) {
    using outcome = send_result::outcome;
    auto ok = classify_ses_answer(200, "", R"({"MessageId":"0102abc"})");
    EXPECT_EQ(ok.what, outcome::sent);
    EXPECT_NE(ok.detail.find("0102abc"), std::string::npos);
    EXPECT_EQ(classify_ses_answer(503, "", "").what, outcome::retry);
    EXPECT_EQ(classify_ses_answer(500, "InternalFailure:http://x", "{}").what, outcome::retry);
    EXPECT_EQ(classify_ses_answer(429, "TooManyRequestsException:http://x", "{}").what,
              outcome::retry);
    EXPECT_EQ(classify_ses_answer(400, "", R"({"__type":"com.amazon#Throttling"})").what,
              outcome::retry);
    auto rejected = classify_ses_answer(400, "MessageRejected:http://internal.amazon.com/",
                                        R"({"message":"Email address is not verified."})");
    EXPECT_EQ(rejected.what, outcome::dead);
    EXPECT_EQ(rejected.detail, "SES answered 400 MessageRejected: Email address is not verified.");
    EXPECT_EQ(classify_ses_answer(403, "InvalidSignatureException", "{}").what, outcome::dead);
    EXPECT_EQ(classify_ses_answer(404, "", "not json").what, outcome::dead);
}

}  // namespace
