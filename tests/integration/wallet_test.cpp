// The ledger on a real store (balanced postings, no overdraft, append-only, an audit that
// can fail), concurrent debits in one process and from a second one, and the wallet's routes.

#include <future>
#include <thread>

#include <boost/system/system_error.hpp>
#include <gtest/gtest.h>

#include "accounts/account_store.hpp"
#include "store_sync.hpp"
#include "support/account_helpers.hpp"
#include "support/daemon_store.hpp"
#include "support/fake_cryptomus.hpp"
#include "wallet/ledger.hpp"
#include "wallet/wallet_service.hpp"

namespace vrnumd::wallet {
namespace {

using vrnum::test::temp_dir;

struct ledger_fixture : ::testing::Test {
    temp_dir dir;
    vrnum::store_config cfg = vrnum::test::config_in(dir);
    std::shared_ptr<vrnum::store> st = vrnum::test::open_daemon_store(cfg);
    std::int64_t account = make_account("ledger@example.com");

    std::int64_t make_account(const std::string& email) {
        std::optional<std::int64_t> id;
        write_sync(
            *st, [&](vrnum::write_txn& t) { id = accounts::create_account(t, email, "h", {}, 0); },
            "account");
        return id.value();
    }
    boost::system::error_code write(const vrnum::store::write_fn& fn) {
        return write_wait(*st, fn);
    }
    ledger_audit audited() {
        ledger_audit a;
        read_sync(
            *st, [&](vrnum::read_txn& t) { a = audit(t); }, "audit");
        return a;
    }
    std::int64_t balance_of(std::int64_t id) {
        std::int64_t b = 0;
        read_sync(
            *st, [&](vrnum::read_txn& t) { b = balance(t, id); }, "balance");
        return b;
    }
    // Debits the wallet by `amount` as a purchase.
    vrnum::store::write_fn purchase(std::int64_t amount) {
        return [this, amount](vrnum::write_txn& t) {
            std::int64_t w = wallet_account(t, account);
            std::int64_t rev = system_ledger_account(t, system_account::revenue);
            post(t, entry_kind::purchase, "order", {{w, -amount}, {rev, amount}}, 1);
        };
    }
};

TEST_F(ledger_fixture, postings_balance_and_a_wallet_never_goes_below_zero) {
    EXPECT_FALSE(write([&](vrnum::write_txn& t) { adjust(t, account, 500, "welcome", 1); }));
    EXPECT_EQ(balance_of(account), 500);
    auto ec = write(purchase(501));
    EXPECT_EQ(ec, vrnum::errc::insufficient_funds);
    EXPECT_EQ(balance_of(account), 500);
    auto pe = write(purchase(500));
    EXPECT_FALSE(pe) << pe.message();
    EXPECT_EQ(balance_of(account), 0);
    // Unbalanced, empty or repeated postings are refused before anything is written.
    EXPECT_TRUE(write([&](vrnum::write_txn& t) {
        post(t, entry_kind::refund, "x", {{wallet_account(t, account), 5}}, 1);
    }));
    EXPECT_TRUE(write([&](vrnum::write_txn& t) {
        std::int64_t w = wallet_account(t, account);
        post(t, entry_kind::refund, "x", {{w, 5}, {w, -5}}, 1);
    }));
    auto a = audited();
    EXPECT_TRUE(a.sound());
    EXPECT_EQ(a.transactions, 2);
    EXPECT_EQ(a.total_minor, 0);
}

TEST_F(ledger_fixture, the_books_refuse_edits_and_the_audit_finds_tampering) {
    ASSERT_FALSE(write([&](vrnum::write_txn& t) { adjust(t, account, 300, "credit", 1); }));
    // Append-only: an edit of a posting fails (the trigger), and so does an overdraft written
    // past the code (the CHECK constraint).
    EXPECT_TRUE(write(
        [&](vrnum::write_txn& t) { t.exec("UPDATE ledger_postings SET amount_minor = 1000000"); }));
    EXPECT_TRUE(write([&](vrnum::write_txn& t) {
        t.exec("UPDATE ledger_accounts SET balance_minor = -1 WHERE account_id = ?1", {account});
    }));
    EXPECT_TRUE(audited().sound());
    // A cached balance that no longer matches its postings is found.
    ASSERT_FALSE(write([&](vrnum::write_txn& t) {
        t.exec("UPDATE ledger_accounts SET balance_minor = 999 WHERE account_id = ?1", {account});
    }));
    auto a = audited();
    EXPECT_FALSE(a.sound());
    EXPECT_EQ(a.stale_balances, 1);
}

TEST_F(ledger_fixture, concurrent_purchases_against_a_balance_for_one_spend_it_once) {
    for (int trial = 0; trial < 100; ++trial) {
        ASSERT_FALSE(write([&](vrnum::write_txn& t) { adjust(t, account, 500, "trial", 1); }));
        std::vector<std::future<boost::system::error_code>> results;
        for (int i = 0; i < 50; ++i) {
            results.push_back(
                std::async(std::launch::async, [&] { return write_wait(*st, purchase(500)); }));
        }
        int ok = 0, short_of_funds = 0;
        for (auto& r : results) {
            auto ec = r.get();
            ok += !ec ? 1 : 0;
            short_of_funds += ec == vrnum::errc::insufficient_funds ? 1 : 0;
        }
        ASSERT_EQ(ok, 1) << "trial " << trial;
        ASSERT_EQ(short_of_funds, 49) << "trial " << trial;
        ASSERT_EQ(balance_of(account), 0);
    }
    EXPECT_TRUE(audited().sound());
}

TEST_F(ledger_fixture, a_debit_from_another_process_races_a_purchase_and_one_loses) {
    // The operator's command is a second writer on the same file.
    vrnum::test::temp_dir cfg_dir;
    auto config =
        cfg_dir.write("vrnum.yaml", "store: { path: \"" + cfg.path.string() + "\", key_file: \"" +
                                        cfg.key_file.string() + "\" }\nlog: { dir: \"" +
                                        (cfg_dir.path() / "log").string() + "\" }\n");
    for (int trial = 0; trial < 10; ++trial) {
        ASSERT_FALSE(write([&](vrnum::write_txn& t) { adjust(t, account, 500, "trial", 1); }));
        auto cli = std::async(std::launch::async, [&] {
            return vrnum::test::run({vrnum::test::vrnumd_path(), "wallet", "adjust",
                                     "ledger@example.com", "-500", "--reason", "dispute", "-c",
                                     config.string()});
        });
        auto mine = write_wait(*st, purchase(500));
        auto r = cli.get();
        ASSERT_TRUE(r.exit_code == 0 || r.exit_code == 1) << r.out << r.err;
        EXPECT_EQ((r.exit_code == 0 ? 1 : 0) + (!mine ? 1 : 0), 1) << r.out;
        if (r.exit_code == 1) {
            EXPECT_NE(r.out.find("refused"), std::string::npos) << r.out;
        }
        ASSERT_EQ(balance_of(account), 0);
    }
    EXPECT_TRUE(audited().sound());
}

TEST(wallet_api, balance_and_transactions_page_by_cursor) {
    vrnum::test::account_daemon d;
    vrnum::test::sign_up(d, "payer@example.com");
    vrnum::test::sign_up(d, "other@example.com");
    vrnum::test::api_client c(d.address());
    ASSERT_TRUE(c.login("payer@example.com"));
    auto r = c.call("GET", "/wallet");
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.body, R"({"balance_minor":0,"currency":"USD"})");
    for (const char* amount : {"100", "250", "-50"}) {
        auto a = d.cli({"wallet", "adjust", "payer@example.com", amount, "--reason", "test"});
        ASSERT_EQ(a.exit_code, 0) << a.out << a.err;
    }
    auto over = d.cli({"wallet", "adjust", "payer@example.com", "-1000", "--reason", "too much"});
    EXPECT_EQ(over.exit_code, 1);
    EXPECT_EQ(vrnum::test::body_of(c.call("GET", "/wallet")).at("balance_minor"), 300);

    auto page = vrnum::test::body_of(c.call("GET", "/wallet/transactions?limit=2"));
    auto& items = page.at("items").as_array();
    ASSERT_EQ(items.size(), 2U);
    EXPECT_EQ(items[0].at("amount_minor"), -50);  // newest first
    EXPECT_EQ(items[0].at("kind"), "adjustment");
    EXPECT_EQ(items[0].at("currency"), "USD");
    ASSERT_TRUE(page.at("next_cursor").is_string());
    auto rest =
        vrnum::test::body_of(c.call("GET", "/wallet/transactions?limit=2&before=" +
                                               std::string(page.at("next_cursor").as_string())));
    ASSERT_EQ(rest.at("items").as_array().size(), 1U);
    EXPECT_EQ(rest.at("items").as_array()[0].at("amount_minor"), 100);
    EXPECT_EQ(c.call("GET", "/wallet/transactions?limit=0").status, 422);
    EXPECT_EQ(c.call("GET", "/wallet/transactions?before=x").status, 422);

    vrnum::test::api_client other(d.address());
    ASSERT_TRUE(other.login("other@example.com"));
    EXPECT_EQ(vrnum::test::body_of(other.call("GET", "/wallet")).at("balance_minor"), 0);
    EXPECT_TRUE(vrnum::test::body_of(other.call("GET", "/wallet/transactions"))
                    .at("items")
                    .as_array()
                    .empty());
    EXPECT_EQ(vrnum::test::request(d.address(), "GET", "/api/v1/wallet")->status, 401);
    auto audit = d.cli({"wallet", "audit"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out;
}

}  // namespace
}  // namespace vrnumd::wallet

namespace vrnumd::payments {
namespace {

using namespace vrnum::test;

TEST(topups, an_invoice_is_created_at_cryptomus_with_nothing_about_the_customer) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_cryptomus cm(dir, cert, "merchant-1", "payment-key-1");
    account_daemon d(cryptomus_yaml(cm.base_url(), cert.cert, "merchant-1", "payment-key-1"));
    sign_up(d, "crypto.payer@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("crypto.payer@example.com"));

    EXPECT_EQ(c.call("POST", "/wallet/topups", json_text({{"amount_minor", 99}})).status, 422);
    EXPECT_TRUE(cm.requests().empty());
    auto r = c.call("POST", "/wallet/topups", json_text({{"amount_minor", 505}}));
    ASSERT_EQ(r.status, 201) << r.body;
    auto created = body_of(r);
    EXPECT_EQ(std::string(created.at("payment_url").as_string())
                  .rfind("https://pay.cryptomus.example/pay/", 0),
              0U);

    auto reqs = cm.requests();
    ASSERT_EQ(reqs.size(), 1U);
    const auto& q = reqs[0];
    EXPECT_EQ(q.at("status"), 200);
    EXPECT_EQ(q.at("merchant_ok"), true);
    EXPECT_EQ(q.at("sign_ok"), true);
    const auto& body = q.at("body").as_object();
    EXPECT_EQ(body.at("amount"), "5.05");
    EXPECT_EQ(body.at("currency"), "USD");
    EXPECT_EQ(body.at("url_callback").as_string(), d.origin() + "/webhooks/cryptomus");
    std::string order(body.at("order_id").as_string());
    EXPECT_EQ(order.size(), 32U);
    // Nothing that names the customer: no address, no account id.
    std::string all = boost::json::serialize(body);
    EXPECT_EQ(all.find("crypto.payer"), std::string::npos);
    std::string id = std::to_string(body_of(c.call("GET", "/me")).at("id").as_int64());
    EXPECT_NE(order, id);

    auto list = body_of(c.call("GET", "/invoices"));
    ASSERT_EQ(list.at("items").as_array().size(), 1U);
    const auto& inv = list.at("items").as_array()[0].as_object();
    EXPECT_EQ(inv.at("id"), created.at("invoice_id"));
    EXPECT_EQ(inv.at("amount_minor"), 505);
    EXPECT_EQ(inv.at("status"), "check");
    EXPECT_EQ(inv.at("paid_minor"), 0);
    // No money moves before a paid webhook.
    EXPECT_EQ(body_of(c.call("GET", "/wallet")).at("balance_minor"), 0);
}

TEST(topups, a_refusal_or_an_outage_at_cryptomus_is_a_503_and_a_failed_invoice) {
    temp_dir dir;
    cert_files cert = make_self_signed(dir.path());
    fake_cryptomus cm(dir, cert, "merchant-1", "the-right-key");
    // vrnumd signs with another key: Cryptomus answers 401.
    account_daemon d(cryptomus_yaml(cm.base_url(), cert.cert, "merchant-1", "a-wrong-key"));
    sign_up(d, "refused@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("refused@example.com"));
    auto r = c.call("POST", "/wallet/topups", json_text({{"amount_minor", 1000}}));
    EXPECT_EQ(r.status, 503) << r.body;
    EXPECT_FALSE(r.header("Retry-After").empty());
    ASSERT_EQ(cm.requests().size(), 1U);
    EXPECT_EQ(cm.requests()[0].at("status"), 401);
    auto items = body_of(c.call("GET", "/invoices")).at("items").as_array();
    ASSERT_EQ(items.size(), 1U);
    EXPECT_EQ(items[0].at("status"), "failed");

    // Nothing listening at all.
    account_daemon gone(cryptomus_yaml("https://127.0.0.1:1", cert.cert, "m", "k"));
    sign_up(gone, "nobody.home@example.com");
    api_client g(gone.address());
    ASSERT_TRUE(g.login("nobody.home@example.com"));
    EXPECT_EQ(g.call("POST", "/wallet/topups", json_text({{"amount_minor", 1000}})).status, 503);
}

TEST(topups, are_off_without_a_cryptomus_section) {
    account_daemon d;
    sign_up(d, "no.crypto@example.com");
    api_client c(d.address());
    ASSERT_TRUE(c.login("no.crypto@example.com"));
    EXPECT_EQ(c.call("POST", "/wallet/topups", json_text({{"amount_minor", 1000}})).status, 404);
    EXPECT_TRUE(body_of(c.call("GET", "/invoices")).at("items").as_array().empty());
}

}  // namespace
}  // namespace vrnumd::payments
