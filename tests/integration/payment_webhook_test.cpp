// Cryptomus's payment webhook against the real vrnumd: the fake Cryptomus (HTTPS on
// 127.0.0.1, a test CA) creates the invoice, answers payment-info and posts webhooks signed by
// php-cli as Cryptomus signs them.

#include <fstream>

#include <gtest/gtest.h>

#include <vrnum/time.hpp>

#include "payments/invoices.hpp"
#include "store_sync.hpp"
#include "support/account_helpers.hpp"
#include "support/daemon_store.hpp"
#include "support/fake_cryptomus.hpp"

namespace vrnumd::payments {
namespace {

using namespace vrnum::test;

const std::string merchant = "merchant-1";
const std::string key = "payment-key-1";

// A daemon with top-ups on, one customer logged in, and an invoice of `amount` cents.
struct paying_customer {
    explicit paying_customer(std::int64_t amount = 500, const std::string& more = "")
        : cert(make_self_signed(dir.path())),
          cm(dir, cert, merchant, key),
          d(cryptomus_yaml(cm.base_url(), cert.cert, merchant, key, more)),
          c(d.address()) {
        sign_up(d, email);
        if (!c.login(email)) {
            throw std::runtime_error("login failed");
        }
        invoice_uuid = topup(amount);
    }
    // A new invoice's Cryptomus uuid (the end of its payment URL).
    std::string topup(std::int64_t amount) {
        auto r = c.call("POST", "/wallet/topups", json_text({{"amount_minor", amount}}));
        if (r.status != 201) {
            throw std::runtime_error("top-up failed: " + r.body);
        }
        std::string url(body_of(r).at("payment_url").as_string());
        return url.substr(url.rfind('/') + 1);
    }
    std::int64_t balance() {
        return body_of(c.call("GET", "/wallet")).at("balance_minor").as_int64();
    }
    boost::json::object invoice(std::size_t i = 0) {
        return body_of(c.call("GET", "/invoices")).at("items").as_array().at(i).as_object();
    }
    std::size_t transactions() {
        return body_of(c.call("GET", "/wallet/transactions")).at("items").as_array().size();
    }
    std::size_t info_calls() {
        std::size_t n = 0;
        for (const auto& r : cm.requests()) {
            n += r.at("path") == "/v1/payment/info" ? 1 : 0;
        }
        return n;
    }

    const std::string email = "crypto.payer@example.com";
    temp_dir dir;
    cert_files cert;
    fake_cryptomus cm;
    account_daemon d;
    api_client c;
    std::string invoice_uuid;
};

TEST(payment_webhook, a_paid_invoice_is_credited_once_though_delivered_ten_times_at_once) {
    paying_customer p(505);
    auto answers = p.cm.notify(p.invoice_uuid, "paid", 10);
    ASSERT_EQ(answers.size(), 10U);
    for (int s : answers) {
        EXPECT_EQ(s, 200);
    }
    EXPECT_EQ(p.balance(), 505);
    EXPECT_EQ(p.transactions(), 1U);
    auto inv = p.invoice();
    EXPECT_EQ(inv.at("status"), "paid");
    EXPECT_EQ(inv.at("paid_minor"), 505);
    // Each credit was confirmed with payment-info, and every request to Cryptomus was signed.
    EXPECT_GE(p.info_calls(), 1U);
    for (const auto& r : p.cm.requests()) {
        EXPECT_EQ(r.at("sign_ok"), true);
        EXPECT_EQ(r.at("merchant_ok"), true);
    }
    // Later deliveries (Cryptomus retries for days) change nothing.
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 3), (std::vector<int>{200, 200, 200}));
    EXPECT_EQ(p.balance(), 505);
    EXPECT_TRUE(mailed(p.d.mail_dir(), p.email, "Receipt: 5.05 USD added"));
    std::size_t receipts = 0;
    for (const auto& m : mails_to(p.d.mail_dir(), p.email)) {
        receipts += m.find("Receipt: 5.05 USD added") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(receipts, 1U);
    auto audit = p.d.cli({"wallet", "audit"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

TEST(payment_webhook, a_tampered_or_wrongly_encoded_sign_is_401_and_credits_nothing) {
    paying_customer p(500);
    for (const char* how : {"value", "naive", "key"}) {
        EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 1, {{"tamper", how}}),
                  (std::vector<int>{401}))
            << how;
    }
    EXPECT_EQ(p.balance(), 0);
    EXPECT_EQ(p.invoice().at("status"), "check");
    EXPECT_EQ(p.info_calls(), 0U);
    // Unsigned, unparsable and sign-less bodies.
    auto post = [&](const std::string& body) {
        return request(p.d.address(), "POST", "/webhooks/cryptomus", body,
                       {{"Content-Type", "application/json"}})
            ->status;
    };
    EXPECT_EQ(post(R"({"uuid":"x","order_id":"y","status":"paid","is_final":true})"), 401);
    EXPECT_EQ(post(R"({"sign":"00","uuid":"x"})"), 401);
    EXPECT_EQ(post("not json"), 400);
    EXPECT_EQ(post("[1,2]"), 400);
    EXPECT_EQ(post(""), 400);
    EXPECT_EQ(p.balance(), 0);
}

TEST(payment_webhook, paid_over_and_wrong_amount_credit_what_arrived_rounded_down) {
    paying_customer p(500);
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid_over", 2, {{"payment_amount_usd", "7.129"}}),
              (std::vector<int>{200, 200}));
    EXPECT_EQ(p.balance(), 712);
    EXPECT_EQ(p.invoice().at("paid_minor"), 712);
    EXPECT_EQ(p.invoice().at("status"), "paid_over");

    std::string short_one = p.topup(1000);
    EXPECT_EQ(p.cm.notify(short_one, "wrong_amount", 1, {{"payment_amount_usd", "2.5"}}),
              (std::vector<int>{200}));
    EXPECT_EQ(p.balance(), 712 + 250);
    EXPECT_EQ(p.invoice(0).at("paid_minor"), 250);
    EXPECT_EQ(p.invoice(0).at("status"), "wrong_amount");
}

TEST(payment_webhook, cancel_fail_and_waiting_statuses_credit_nothing_and_never_go_back) {
    paying_customer p(500);
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "confirm_check", 1, {{"is_final", false}}),
              (std::vector<int>{200}));
    EXPECT_EQ(p.invoice().at("status"), "confirm_check");
    // paid but not final yet: no money.
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 1, {{"is_final", false}}),
              (std::vector<int>{200}));
    EXPECT_EQ(p.balance(), 0);
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "cancel", 1), (std::vector<int>{200}));
    EXPECT_EQ(p.invoice().at("status"), "cancel");
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "check", 1, {{"is_final", false}}),
              (std::vector<int>{200}));
    EXPECT_EQ(p.invoice().at("status"), "cancel");

    std::string failing = p.topup(300);
    EXPECT_EQ(p.cm.notify(failing, "fail", 1), (std::vector<int>{200}));
    EXPECT_EQ(p.cm.notify(failing, "system_fail", 1), (std::vector<int>{200}));
    EXPECT_EQ(p.invoice(0).at("status"), "system_fail");
    EXPECT_EQ(p.balance(), 0);
    EXPECT_EQ(p.transactions(), 0U);
}

TEST(payment_webhook, a_failing_payment_info_call_is_503_then_a_later_delivery_credits_once) {
    paying_customer p(800);
    p.cm.info_down(true);
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 3), (std::vector<int>{503, 503, 503}));
    EXPECT_EQ(p.balance(), 0);
    EXPECT_EQ(p.invoice().at("status"), "check");
    p.cm.info_down(false);
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 4), (std::vector<int>(4, 200)));
    EXPECT_EQ(p.balance(), 800);
    EXPECT_EQ(p.transactions(), 1U);
}

TEST(payment_webhook, a_paid_notice_that_payment_info_does_not_confirm_credits_nothing) {
    paying_customer p(800);
    // The webhook says paid and final; Cryptomus's own payment-info still says check.
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 2, {{"info_status", "check"}}),
              (std::vector<int>{503, 503}));
    EXPECT_EQ(p.balance(), 0);
    EXPECT_EQ(p.invoice().at("status"), "check");
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 1), (std::vector<int>{200}));
    EXPECT_EQ(p.balance(), 800);
}

TEST(payment_webhook, a_signed_notice_for_an_unknown_invoice_is_logged_and_answered_200) {
    paying_customer p(500);
    EXPECT_EQ(p.cm.notify_order(std::string(32, 'a'), p.d.origin() + "/webhooks/cryptomus", "paid"),
              (std::vector<int>{200}));
    EXPECT_EQ(p.balance(), 0);
    EXPECT_TRUE(wait_for(
        [&] {
            for (const auto& e : std::filesystem::directory_iterator(p.d.dir() / "var/log")) {
                std::ifstream in(e.path());
                std::string all((std::istreambuf_iterator<char>(in)), {});
                if (all.find("unknown_invoice") != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        std::chrono::seconds(10)));
}

TEST(payment_webhook, allowed_ips_are_checked_in_addition_to_the_signature) {
    paying_customer p(500, ", allowed_ips: [\"192.0.2.0/24\", \"2001:db8::/32\"]");
    EXPECT_EQ(p.cm.notify(p.invoice_uuid, "paid", 1), (std::vector<int>{403}));
    EXPECT_EQ(p.balance(), 0);
    // Listed, the same sender gets through; the signature is still checked.
    paying_customer listed(500, ", allowed_ips: [\"192.0.2.0/24\", \"127.0.0.1\"]");
    EXPECT_EQ(listed.cm.notify(listed.invoice_uuid, "paid", 1, {{"tamper", "key"}}),
              (std::vector<int>{401}));
    EXPECT_EQ(listed.cm.notify(listed.invoice_uuid, "paid", 1), (std::vector<int>{200}));
    EXPECT_EQ(listed.balance(), 500);
}

TEST(payment_webhook, an_invoice_left_creating_by_a_stop_is_settled_by_the_recovery_job) {
    paying_customer p(500);
    std::int64_t account = body_of(p.c.call("GET", "/me")).at("id").as_int64();
    p.d.stop();
    // Two invoices reserved an hour ago whose answers were never recorded: Cryptomus made
    // (and was paid for) one, and never heard of the other.
    reserved_invoice made, lost;
    {
        auto st = open_daemon_store(vrnum::store_config{.path = p.d.dir() / "var/vrnum.db",
                                                        .key_file = p.d.dir() / "var/master.key"});
        vrnum::unix_ms hour_ago = vrnum::now_unix_ms() - 3'600'000;
        write_sync(
            *st,
            [&](vrnum::write_txn& t) {
                made = reserve_invoice(t, account, 900, hour_ago);
                lost = reserve_invoice(t, account, 400, hour_ago);
            },
            "reserve");
    }
    EXPECT_EQ(p.cm.notify_order(made.order_id, "http://127.0.0.1:1/webhooks/cryptomus", "paid"),
              (std::vector<int>{0}));  // vrnumd is down: Cryptomus will retry
    p.d.restart();
    p.c = api_client(p.d.address());
    ASSERT_TRUE(p.c.login(p.email));
    auto status_of = [&](std::int64_t id) {
        auto list = body_of(p.c.call("GET", "/invoices"));
        for (const auto& i : list.at("items").as_array()) {
            if (i.at("id") == id) {
                return std::string(i.at("status").as_string());
            }
        }
        return std::string();
    };
    ASSERT_TRUE(wait_for([&] { return status_of(lost.id) == "failed"; }, std::chrono::seconds(20)));
    EXPECT_EQ(status_of(made.id), "paid");
    EXPECT_EQ(p.balance(), 900);
}

}  // namespace
}  // namespace vrnumd::payments
