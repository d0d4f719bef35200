// The webhook's pure parts: the signature over PHP's re-encoding, the notice's fields, exact
// decimal amounts, and the invoice status machine.

#include "payments/cryptomus_webhook.hpp"

#include <gtest/gtest.h>

#include "payments/cryptomus.hpp"
#include "payments/php_json.hpp"

namespace vrnumd::payments {
namespace {

using vrnum::errc;

// A body signed as Cryptomus signs it.
std::string signed_body(const std::string& fields, const std::string& key) {
    std::string body = "{" + fields + "}";
    std::string sign = cryptomus_sign(*php_reencode(body), key);
    return "{" + fields + R"(,"sign":")" + sign + "\"}";
}

TEST(cryptomus_notice, a_good_sign_verifies_and_the_fields_are_read) {
    std::string body =
        signed_body(R"("uuid":"u-1","order_id":"o-1","status":"paid_over","is_final":true,)"
                    R"("payment_amount_usd":"7.12","note":"a/b — ü","extra":{})",
                    "k");
    std::string detail;
    auto n = verify_notice(body, "k", detail);
    ASSERT_TRUE(n) << detail;
    EXPECT_EQ(n->uuid, "u-1");
    EXPECT_EQ(n->order_id, "o-1");
    EXPECT_EQ(n->status, "paid_over");
    EXPECT_TRUE(n->is_final);
    EXPECT_EQ(n->payment_amount_usd, "7.12");
}

TEST(cryptomus_notice, a_wrong_missing_or_misplaced_sign_is_refused) {
    std::string fields = R"("uuid":"u","order_id":"o","status":"paid","is_final":true)";
    std::string detail;
    EXPECT_EQ(verify_notice(signed_body(fields, "k"), "other", detail).error(),
              errc::bad_signature);
    EXPECT_EQ(verify_notice("{" + fields + "}", "k", detail).error(), errc::bad_signature);
    EXPECT_EQ(verify_notice(R"({"sign":5,"uuid":"u"})", "k", detail).error(), errc::bad_signature);
    // The signature over the body's own bytes (not PHP's re-encoding) does not verify when
    // the two differ ("/" is escaped by PHP).
    std::string raw = R"({"uuid":"u/1","order_id":"o","status":"paid","is_final":true})";
    std::string naive = R"({"uuid":"u/1","order_id":"o","status":"paid","is_final":true,"sign":")" +
                        cryptomus_sign(raw, "k") + "\"}";
    EXPECT_EQ(verify_notice(naive, "k", detail).error(), errc::bad_signature);
    // A signed value changed afterwards.
    std::string good = signed_body(fields, "k");
    std::string changed = good;
    changed.replace(changed.find("\"paid\""), 6, "\"paid_over\"");
    EXPECT_EQ(verify_notice(changed, "k", detail).error(), errc::bad_signature);
    // Upper-case hex is another string: Cryptomus sends lower case.
    std::string upper = good;
    auto at = upper.find("\"sign\":\"") + 8;
    for (std::size_t i = at; i < at + 32; ++i) {
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    }
    if (upper != good) {
        EXPECT_EQ(verify_notice(upper, "k", detail).error(), errc::bad_signature);
    }
}

TEST(cryptomus_notice, a_repeated_key_is_read_as_php_reads_it) {
    // PHP keeps the last value: the signature covers "paid", so the notice says "paid".
    std::string body =
        R"({"uuid":"u","order_id":"o","status":"cancel","status":"paid","is_final":true})";
    std::string sign = cryptomus_sign(*php_reencode(body), "k");
    body.insert(body.size() - 1, R"(,"sign":")" + sign + "\"");
    std::string detail;
    auto n = verify_notice(body, "k", detail);
    ASSERT_TRUE(n) << detail;
    EXPECT_EQ(n->status, "paid");
}

TEST(cryptomus_notice, hostile_bodies_are_malformed_or_unsigned_never_a_crash) {
    std::string detail;
    for (const char* body : {"", "null", "[]", "\"x\"", "{", "{\"sign\":", "\xff\xfe",
                             "{\"a\":1}garbage", "[[[[[[[[[["}) {
        auto r = verify_notice(body, "k", detail);
        ASSERT_FALSE(r) << body;
        EXPECT_TRUE(r.error() == errc::malformed || r.error() == errc::bad_signature) << body;
    }
    // Signed, but without the fields a notice needs.
    EXPECT_EQ(verify_notice(signed_body(R"("uuid":"u","status":5)", "k"), "k", detail).error(),
              errc::malformed);
}

TEST(cryptomus_notice, usd_amounts_are_exact_and_rounded_down_to_cents) {
    EXPECT_EQ(usd_cents("7.129"), 712);
    EXPECT_EQ(usd_cents("7.12"), 712);
    EXPECT_EQ(usd_cents("7.1"), 710);
    EXPECT_EQ(usd_cents("7"), 700);
    EXPECT_EQ(usd_cents("0.009"), 0);
    EXPECT_EQ(usd_cents("0.29"), 29);  // 0.29 as a double is 0.28999...
    EXPECT_EQ(usd_cents("100000000000000.99"), 10000000000000099);
    for (const char* bad : {"", ".5", "5.", "-1.00", "+1", "1e3", " 1", "1,5", "1.2.3",
                            "1000000000000000", "0x10", "NaN"}) {
        EXPECT_FALSE(usd_cents(bad)) << bad;
    }
}

TEST(cryptomus_notice, the_status_machine_moves_forward_only) {
    EXPECT_EQ(next_status("check", false, "process"), "process");
    EXPECT_EQ(next_status("creating", false, "paid"), "paid");
    EXPECT_EQ(next_status("failed", false, "paid"), "paid");
    EXPECT_EQ(next_status("confirm_check", false, "check"), "check");  // waiting to waiting
    EXPECT_EQ(next_status("cancel", false, "check"), std::nullopt);
    EXPECT_EQ(next_status("cancel", false, "paid"), "paid");  // a late payment still counts
    EXPECT_EQ(next_status("locked", false, "check"), std::nullopt);
    EXPECT_EQ(next_status("locked", false, "paid"), "paid");
    EXPECT_EQ(next_status("paid", true, "cancel"), std::nullopt);
    EXPECT_EQ(next_status("paid", true, "check"), std::nullopt);
    EXPECT_EQ(next_status("paid", true, "refund_process"), "refund_process");
    EXPECT_EQ(next_status("refund_process", true, "refund_paid"), "refund_paid");
    EXPECT_EQ(next_status("check", false, "check"), std::nullopt);
    EXPECT_EQ(next_status("check", false, "something_new"), std::nullopt);
    for (const char* s : {"paid", "paid_over", "wrong_amount"}) {
        EXPECT_EQ(classify_status(s), status_kind::credit) << s;
    }
    for (const char* s : {"check", "process", "confirm_check", "wrong_amount_waiting"}) {
        EXPECT_EQ(classify_status(s), status_kind::waiting) << s;
    }
    for (const char* s : {"cancel", "fail", "system_fail"}) {
        EXPECT_EQ(classify_status(s), status_kind::closed) << s;
    }
    EXPECT_EQ(classify_status("locked"), status_kind::held);
    EXPECT_EQ(classify_status("refund_fail"), status_kind::refund);
    EXPECT_EQ(classify_status("PAID"), status_kind::unknown);
}

}  // namespace
}  // namespace vrnumd::payments
