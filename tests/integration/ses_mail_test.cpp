// Mail through Amazon SES v2 to a stand-in on 127.0.0.1 over HTTPS (tests/mail/fake_ses.py)
// that checks every signature with botocore, an implementation independent of ours.

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <gtest/gtest.h>

#include "mail/ses_transport.hpp"
#include "support/fake_ses.hpp"
#include "support/mail_helpers.hpp"
#include "support/process.hpp"
#include "support/test_cert.hpp"

namespace {

using namespace vrnumd::mail;
using namespace vrnum::test;

struct ses_fixture : ::testing::Test {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    vrnum::store_config cfg = config_in(dir);
    std::shared_ptr<vrnum::store> st = open_mail_store(cfg);

    std::unique_ptr<mailer> ses_mailer(const std::string& endpoint,
                                       const std::string& secret = secret_key,
                                       bool trust_test_ca = true) {
        vrnumd::ses_config ses{"eu-west-1", access_key, secret, endpoint};
        vrnumd::http_client_config http{trust_test_ca ? cert.cert : std::filesystem::path(), 5};
        auto m = std::make_unique<mailer>(
            *st,
            [ses, http](boost::asio::any_io_executor ex) {
                return make_ses_transport(std::move(ex), ses, http);
            },
            template_set::builtin(), mailbox{"VRNUM", "no-reply@example.com"}, test_site(),
            quiet_logger(), fast_options());
        m->start();
        return m;
    }
};

TEST_F(ses_fixture, a_mail_reaches_ses_signed_and_whole) {
    fake_ses ses(dir, cert);
    auto m = ses_mailer(ses.endpoint());
    mail_request r{"user@example.com",
                   "password_reset",
                   {{"token", "Res3tT0ken"}, {"valid_minutes", 60}},
                   std::nullopt};
    std::int64_t id = enqueue_sync(*st, *m, r);
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }))
        << state_of(*st, id).last_error;
    auto reqs = ses.requests();
    ASSERT_EQ(reqs.size(), 1u);
    auto& q = reqs[0];
    EXPECT_EQ(q["status"].as_int64(), 200);
    EXPECT_EQ(q["from"].as_string(), "\"VRNUM\" <no-reply@example.com>");
    EXPECT_EQ(boost::json::serialize(q["to"]), R"(["user@example.com"])");
    EXPECT_EQ(q["subject"].as_string(), "Reset your VRNUM password");
    EXPECT_NE(std::string(q["text"].as_string())
                  .find("https://sms.example.com/reset-password#token=Res3tT0ken"),
              std::string::npos);
    EXPECT_NE(std::string(q["html"].as_string()).find("#token=Res3tT0ken"), std::string::npos);
    EXPECT_EQ(boost::json::serialize(q["charsets"]), R"(["UTF-8","UTF-8","UTF-8"])");
    EXPECT_FALSE(state_of(*st, id).has_content);
}

TEST_F(ses_fixture, unavailable_then_ok_is_retried_and_delivered_once) {
    fake_ses ses(dir, cert, "503,200");
    auto m = ses_mailer(ses.endpoint());
    std::int64_t id = enqueue_sync(*st, *m, test_mail("user@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    auto reqs = ses.requests();
    ASSERT_EQ(reqs.size(), 2u);
    EXPECT_EQ(reqs[0]["status"].as_int64(), 503);
    EXPECT_EQ(reqs[1]["status"].as_int64(), 200);
    EXPECT_EQ(state_of(*st, id).attempts, 2);
}

TEST_F(ses_fixture, throttling_is_retried) {
    fake_ses ses(dir, cert, "429,429,200");
    auto m = ses_mailer(ses.endpoint());
    std::int64_t id = enqueue_sync(*st, *m, test_mail("user@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "sent"; }));
    EXPECT_EQ(ses.requests().size(), 3u);
}

TEST_F(ses_fixture, a_rejection_goes_dead_at_once_with_its_reason_without_the_address) {
    fake_ses ses(dir, cert, "400");
    auto m = ses_mailer(ses.endpoint());
    std::int64_t id = enqueue_sync(*st, *m, test_mail("unverified.person@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "dead"; }));
    auto s = state_of(*st, id);
    EXPECT_EQ(s.attempts, 1);
    EXPECT_EQ(s.last_error,
              "SES answered 400 MessageRejected: Email address is not verified. The following "
              "identities failed the check in region EU-WEST-1: <address>");
    EXPECT_EQ(ses.requests().size(), 1u);
}

TEST_F(ses_fixture, the_independent_verifier_refuses_a_wrong_signature) {
    fake_ses ses(dir, cert);
    auto m = ses_mailer(ses.endpoint(), "not-the-secret");
    std::int64_t id = enqueue_sync(*st, *m, test_mail("user@example.com"));
    ASSERT_TRUE(wait_for([&] { return state_of(*st, id).status == "dead"; }));
    EXPECT_NE(state_of(*st, id).last_error.find("403 InvalidSignatureException"),
              std::string::npos);
    auto reqs = ses.requests();
    ASSERT_EQ(reqs.size(), 1u);
    EXPECT_EQ(reqs[0]["status"].as_int64(), 403);
}

TEST_F(ses_fixture, a_certificate_for_another_host_is_refused_and_nothing_is_sent) {
    temp_dir other;
    cert_files wrong = make_self_signed_for(other.path(), "DNS:wrong.example");
    fake_ses ses(dir, wrong);
    vrnumd::ses_config sc{"eu-west-1", access_key, secret_key, ses.endpoint("localhost")};
    vrnumd::http_client_config http{wrong.cert, 5};  // trusted, but for another name
    mailer m(
        *st,
        [&](boost::asio::any_io_executor ex) {
            return make_ses_transport(std::move(ex), sc, http);
        },
        template_set::builtin(), mailbox{"VRNUM", "no-reply@example.com"}, test_site(),
        quiet_logger(), fast_options());
    m.start();
    std::int64_t id = enqueue_sync(*st, m, test_mail("user@example.com"));
    ASSERT_TRUE(wait_for([&] { return !state_of(*st, id).last_error.empty(); }));
    auto s = state_of(*st, id);
    EXPECT_EQ(s.status, "queued") << "a transient failure: an operator may fix the setup";
    EXPECT_NE(s.last_error.find("hostname mismatch"), std::string::npos) << s.last_error;
    EXPECT_TRUE(ses.requests().empty());
}

TEST_F(ses_fixture, an_untrusted_certificate_is_refused) {
    fake_ses ses(dir, cert);
    auto m = ses_mailer(ses.endpoint(), secret_key, false);
    std::int64_t id = enqueue_sync(*st, *m, test_mail("user@example.com"));
    ASSERT_TRUE(wait_for([&] { return !state_of(*st, id).last_error.empty(); }));
    EXPECT_NE(state_of(*st, id).last_error.find("certificate verify failed"), std::string::npos)
        << state_of(*st, id).last_error;
    EXPECT_TRUE(ses.requests().empty());
}

}  // namespace
