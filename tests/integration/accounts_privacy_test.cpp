// The customer's data rights and the operator's privacy tools against a running vrnumd: the
// export holds every table's rows of the account and none of another's, erasure leaves no
// byte of the account behind, one customer can never reach another's objects through any
// route, and the `accounts` and `notify-all` commands.

#include <future>
#include <map>
#include <set>

#include <gtest/gtest.h>

#include "cli/store_commands.hpp"
#include "config/daemon_config.hpp"
#include "store_sync.hpp"
#include "support/account_helpers.hpp"
#include "support/signing.hpp"

namespace vrnum::test {
namespace {

using boost::json::array;
using boost::json::object;

// The daemon's store, opened beside it as the operator's commands do.
std::shared_ptr<vrnum::store> open_beside(const account_daemon& d) {
    auto cfg = vrnumd::load_daemon_config(d.config());
    return vrnumd::open_command_store(cfg, vrnumd::command_logger(cfg));
}

void read_now(vrnum::store& st, const vrnum::store::read_fn& fn) {
    vrnumd::read_sync(st, fn, "test read");
}

// Every table with an `account_id` column, and how many rows each holds for `account`.
std::map<std::string, std::int64_t> rows_of(vrnum::store& st, std::int64_t account) {
    std::map<std::string, std::int64_t> out;
    read_now(st, [&](vrnum::read_txn& txn) {
        std::vector<std::string> tables;
        txn.query(
            "SELECT m.name FROM sqlite_master m WHERE m.type = 'table' AND EXISTS "
            "(SELECT 1 FROM pragma_table_info(m.name) p WHERE p.name = 'account_id')",
            {}, [&](const vrnum::sql_row& r) { tables.push_back(r.get_text(0)); });
        for (const auto& t : tables) {
            txn.query("SELECT count(*) FROM " + t + " WHERE account_id = ?1", {account},
                      [&](const vrnum::sql_row& r) { out[t] = r.get_int(0); });
        }
    });
    return out;
}

std::int64_t account_id(api_client& c) {
    return body_of(c.call("GET", "/me")).at("id").as_int64();
}

object export_of(api_client& c) {
    auto r = c.call("GET", "/me/export");
    EXPECT_EQ(r.status, 200) << r.body;
    return body_of(r);
}

std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every file under the directories and files given (missing ones skipped).
std::vector<std::filesystem::path> files_under(const std::vector<std::filesystem::path>& roots) {
    std::vector<std::filesystem::path> out;
    for (const auto& r : roots) {
        if (std::filesystem::is_regular_file(r)) {
            out.push_back(r);
        } else if (std::filesystem::is_directory(r)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(r)) {
                if (e.is_regular_file()) {
                    out.push_back(e.path());
                }
            }
        }
    }
    return out;
}

// A customer with something in every table the accounts component has.
void populate(const account_daemon& d, api_client& c, const std::string& email,
              const std::string& marker) {
    sign_up(d, email, good_password,
            {{"attribution", object{{"utm_source", marker + "-source"},
                                    {"referrer", "https://" + marker + ".example.net/"}}}});
    ASSERT_TRUE(c.login(email));
    auto r = c.call("POST", "/api-keys",
                    json_text({{"name", marker + "-key"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 201) << r.body;
    r = c.call("PATCH", "/me",
               json_text({{"email", marker + "-next@example.com"}, {"password", good_password}}));
    ASSERT_EQ(r.status, 200) << r.body;
    ASSERT_EQ(c.call("POST", "/auth/password-reset/request", json_text({{"email", email}})).status,
              202);
    auto credit = d.cli({"wallet", "adjust", email, "700", "--reason", "welcome credit"});
    ASSERT_EQ(credit.exit_code, 0) << credit.out << credit.err;
    // A top-up Cryptomus could not take (the daemons here point at a closed port): an
    // invoice row all the same.
    ASSERT_EQ(c.call("POST", "/wallet/topups", json_text({{"amount_minor", 500}})).status, 503);
    // A rented number and an SMS to it.
    r = c.call("POST", "/numbers", json_text({{"country", "EE"}, {"days", 30}}),
               {{"Idempotency-Key", marker + "-order"}});
    ASSERT_EQ(r.status, 201) << r.body;
    std::string number(body_of(r).at("number").as_string());
    std::string sms = json_text({{"id", marker + "-sms"},
                                 {"from", "+447700900001"},
                                 {"to", number},
                                 {"text", marker + " code 424242"}});
    auto hook = request(d.address(), "POST", "/webhooks/demo", sms,
                        {{"Content-Type", "application/json"},
                         {"X-Signature", hmac_sha256_hex("test-secret", sms)}});
    ASSERT_TRUE(hook && hook->status == 200);
    ASSERT_EQ(body_of(c.call("GET", "/messages")).at("items").as_array().size(), 1U);
}

// Top-ups on, towards a port where nothing listens: every top-up leaves a failed invoice.
// Numbers enough for every customer of a test.
const std::string closed_cryptomus =
    "payments:\n  cryptomus: { merchant_id: \"m\", payment_api_key: \"k\", "
    "api_base_url: \"https://127.0.0.1:1\" }\n"
    "numbers:\n  pool: [ { number: \"+37255500001\", country: EE }, { number: \"+37255500002\", "
    "country: EE }, { number: \"+37255500003\", country: EE } ]\n";

TEST(accounts_privacy, the_export_holds_every_tables_rows_of_the_account_and_no_others) {
    account_daemon d(closed_cryptomus);
    api_client a(d.address()), b(d.address());
    populate(d, a, "alice@example.com", "alicemark");
    populate(d, b, "bob@example.com", "bobmark");
    ASSERT_TRUE(wait_for([&] { return mails_to(d.mail_dir(), "alice@example.com").size() >= 3; }));

    auto r = a.call("GET", "/me/export");
    ASSERT_EQ(r.status, 200);
    EXPECT_NE(r.header("Content-Disposition").find("attachment"), std::string::npos);
    object doc = body_of(r);
    EXPECT_EQ(doc.at("account").at("email"), "alice@example.com");
    EXPECT_EQ(doc.at("account").at("pending_email"), "alicemark-next@example.com");
    EXPECT_EQ(doc.at("account").at("attribution").at("referrer_host"), "alicemark.example.net");
    EXPECT_FALSE(doc.at("account").as_object().contains("csrf_token"));
    EXPECT_EQ(r.body.find("bob"), std::string::npos);
    // No credential is exported: neither session ids, nor CSRF tokens, nor key hashes.
    EXPECT_EQ(r.body.find(a.csrf()), std::string::npos);
    EXPECT_EQ(r.body.find(a.cookie().substr(a.cookie().find('=') + 1)), std::string::npos);

    auto st = open_beside(d);
    auto rows = rows_of(*st, account_id(a));
    ASSERT_GE(rows.size(), 4U);
    for (const auto& [table, n] : rows) {
        ASSERT_TRUE(doc.contains(table)) << "the export lacks table " << table;
        EXPECT_EQ(doc.at(table).as_array().size(), static_cast<std::size_t>(n)) << table;
        EXPECT_GT(n, 0) << table << ": the test should give the account a row there";
    }
    // The mail rows name the account's own address only.
    for (const auto& m : doc.at("mail_outbox").as_array()) {
        std::string to(m.at("to").as_string());
        EXPECT_TRUE(to == "alice@example.com" || to == "alicemark-next@example.com") << to;
    }
}

TEST(accounts_privacy, erasure_leaves_no_byte_of_the_account_behind) {
    account_daemon d("retention: { account_deletion_days: 0 }\n" + closed_cryptomus);
    api_client a(d.address()), b(d.address());
    populate(d, a, "erase.me@example.com", "erasemark");
    populate(d, b, "keep.me@example.com", "keepmark");
    ASSERT_TRUE(
        wait_for([&] { return mails_to(d.mail_dir(), "erase.me@example.com").size() >= 3; }));
    std::int64_t id = account_id(a);
    // Another account asks to move to the address: that mail and change go with the erasure.
    ASSERT_EQ(b.call("PATCH", "/me",
                     json_text({{"email", "erase.me@example.com"}, {"password", good_password}}))
                  .status,
              200);
    ASSERT_FALSE(mailed_token(d.mail_dir(), "erase.me@example.com", "/confirm-email", 2).empty());

    // What the store holds of the account, sealed: captured before the erasure.
    std::vector<std::string> secrets{"erase.me@example.com", "erasemark-next@example.com",
                                     "erasemark"};
    {
        auto st = open_beside(d);
        read_now(*st, [&](vrnum::read_txn& txn) {
            txn.query(
                "SELECT email, attribution, pending_email, email_index FROM accounts "
                "WHERE id = ?1",
                {id}, [&](const vrnum::sql_row& r) {
                    for (int c = 0; c < 3; ++c) {
                        ASSERT_FALSE(r.is_null(c)) << c;
                        secrets.push_back(r.get_blob(c));
                    }
                    secrets.push_back(r.get_text(3));
                });
            txn.query("SELECT recipient, content FROM mail_outbox WHERE account_id = ?1", {id},
                      [&](const vrnum::sql_row& r) {
                          secrets.push_back(r.get_blob(0));
                          if (!r.is_null(1)) {
                              secrets.push_back(r.get_blob(1));
                          }
                      });
            txn.query(
                "SELECT sender, body FROM messages WHERE id IN "
                "(SELECT message_id FROM inbox WHERE account_id = ?1)",
                {id}, [&](const vrnum::sql_row& r) {
                    secrets.push_back(r.get_blob(0));
                    secrets.push_back(r.get_blob(1));
                });
        });
        ASSERT_GE(secrets.size(), 10U);
    }

    auto r = a.call("DELETE", "/me", json_text({{"password", good_password}}));
    ASSERT_EQ(r.status, 202) << r.body;
    auto purge = d.cli({"purge"});
    ASSERT_EQ(purge.exit_code, 0) << purge.err;
    EXPECT_NE(purge.out.find("erased 1 account"), std::string::npos) << purge.out;

    auto files = files_under({d.dir() / "var/vrnum.db", d.dir() / "var/vrnum.db-wal", d.mail_dir(),
                              d.dir() / "var/log"});
    ASSERT_GE(files.size(), 3U);
    for (const auto& f : files) {
        std::string bytes = file_bytes(f);
        for (std::size_t i = 0; i < secrets.size(); ++i) {
            EXPECT_EQ(bytes.find(secrets[i]), std::string::npos)
                << "secret " << i << " is still in " << f.filename();
        }
    }
    auto st = open_beside(d);
    for (const auto& [table, n] : rows_of(*st, id)) {
        EXPECT_EQ(n, 0) << table;
    }
    // The books keep the money, without its owner, and still balance.
    auto audit = d.cli({"wallet", "audit"});
    EXPECT_EQ(audit.exit_code, 0) << audit.out;
    // Each account's credit and rental.
    EXPECT_NE(audit.out.find("transactions 4"), std::string::npos) << audit.out;
    EXPECT_FALSE(api_client(d.address()).login("erase.me@example.com"));
    // The other customer is untouched.
    api_client again(d.address());
    ASSERT_TRUE(again.login("keep.me@example.com"));
    auto keep = export_of(again);
    EXPECT_EQ(keep.at("api_keys").as_array().size(), 1U);
    EXPECT_TRUE(keep.at("account").at("pending_email").is_null());
    EXPECT_EQ(keep.at("account").at("attribution").at("utm_source"), "keepmark-source");
}

// An export without what changes by itself: the export's time, sessions' and keys' last use,
// the delivery state of mail.
object stable(object doc) {
    doc.erase("exported_at");
    auto drop = [&](const char* table, std::initializer_list<const char*> keys) {
        if (auto* rows = doc.if_contains(table)) {
            for (auto& row : rows->as_array()) {
                for (const char* k : keys) {
                    row.as_object().erase(k);
                }
            }
        }
    };
    drop("sessions", {"last_seen_at"});
    drop("api_keys", {"last_used_at"});
    drop("mail_outbox", {"status", "finished_at"});
    return doc;
}

// A route's resource: the segment before its `{param}`, as the export names its table (a
// number the customer has is a rental; a message is in the inbox).
std::string resource_of(const std::string& pattern) {
    std::string before = pattern.substr(0, pattern.find("/{"));
    std::string seg = before.substr(before.rfind('/') + 1);
    std::replace(seg.begin(), seg.end(), '-', '_');
    static const std::map<std::string, std::string> stored_as{{"numbers", "rentals"},
                                                              {"messages", "inbox"}};
    auto it = stored_as.find(seg);
    return it == stored_as.end() ? seg : it->second;
}

TEST(accounts_privacy, no_route_lets_one_customer_reach_anothers_objects) {
    account_daemon d(closed_cryptomus);
    api_client a(d.address()), b(d.address());
    populate(d, a, "first@example.com", "firstmark");
    populate(d, b, "second@example.com", "secondmark");
    auto routes = d.cli({"routes"});
    ASSERT_EQ(routes.exit_code, 0) << routes.err;
    std::vector<std::pair<std::string, std::string>> api;
    std::istringstream in(routes.out);
    for (std::string m, p; in >> m >> p;) {
        if (p.rfind("/api/v1/", 0) == 0) {
            api.emplace_back(m, p.substr(7));
        }
    }
    ASSERT_GE(api.size(), 10U);
    object a_export = export_of(a);
    auto a_ids = [&](const std::string& section) {
        std::vector<std::int64_t> ids;
        if (a_export.contains(section)) {
            for (const auto& row : a_export.at(section).as_array()) {
                if (const auto* id = row.as_object().if_contains("id")) {
                    ids.push_back(id->as_int64());
                }
            }
        }
        return ids;
    };
    auto leaks = [&](const http_answer& r) {
        return r.body.find("firstmark") != std::string::npos ||
               r.body.find("first@example.com") != std::string::npos;
    };
    // B stays logged in whatever a route does to B's own sessions.
    auto as_b = [&](const std::string& method, const std::string& path, const std::string& body) {
        if (b.call("GET", "/me").status != 200) {
            b = api_client(d.address());
            EXPECT_TRUE(b.login("second@example.com"));
        }
        return b.call(method, path, body);
    };
    // Every id A owns, under the names a body may carry them by.
    std::int64_t any_id = a_ids("api_keys").front();
    boost::json::object id_body{{"password", good_password}};
    for (const auto& [name, v] : a_export) {
        if (v.is_array() && !a_ids(name).empty()) {
            std::string singular(name);
            if (singular.ends_with("s")) {
                singular.pop_back();
            }
            id_body[singular + "_id"] = a_ids(name).front();
        }
    }
    id_body["id"] = any_id;
    id_body["number_id"] = any_id;
    std::size_t with_ids = 0, lists = 0, bodies = 0;
    for (const auto& [method, pattern] : api) {
        SCOPED_TRACE(method + " " + pattern);
        if (pattern.find('{') != std::string::npos) {
            auto ids = a_ids(resource_of(pattern));
            ASSERT_FALSE(ids.empty()) << "no export section gives A's ids for this route";
            for (std::int64_t id : ids) {
                std::string path = pattern.substr(0, pattern.find('{')) + std::to_string(id) +
                                   pattern.substr(pattern.find('}') + 1);
                std::string body = method == "GET" ? "" : json_text({{"password", good_password}});
                auto r = as_b(method, path, body);
                EXPECT_EQ(r.status, 404) << path << ": " << r.body;
                EXPECT_FALSE(leaks(r)) << r.body;
            }
            ++with_ids;
        } else if (pattern.ends_with("/stream")) {
            continue;  // a stream never ends; its isolation is numbers_api_test's
        } else if (method == "GET") {
            // A list of a resource holds none of A's rows, also asked with A's ids as cursor
            // and filter.
            auto own = a_ids(resource_of(pattern + "/{}"));
            std::string query =
                "?before=" + std::to_string(any_id) + "&number_id=" + std::to_string(any_id);
            for (const std::string& q : {std::string(), query}) {
                auto r = as_b("GET", pattern + q, "");
                EXPECT_FALSE(leaks(r)) << r.body;
                EXPECT_TRUE(r.status == 200 || r.status == 404) << r.status;
                boost::system::error_code ec;
                auto v = boost::json::parse(r.body, ec);
                const auto* o = v.if_object();
                if (r.status == 200 && o != nullptr && o->contains("items")) {
                    for (const auto& item : o->at("items").as_array()) {
                        if (const auto* id = item.as_object().if_contains("id")) {
                            EXPECT_EQ(std::count(own.begin(), own.end(), id->as_int64()), 0);
                        }
                    }
                }
            }
            ++lists;
        } else {
            // A state change carrying A's ids in its body changes nothing of A's.
            auto r = as_b(method, pattern, json_text(id_body));
            EXPECT_FALSE(leaks(r)) << r.body;
            ++bodies;
        }
    }
    EXPECT_GE(with_ids, 1U);
    EXPECT_GE(lists, 3U);
    EXPECT_GE(bodies, 5U);
    // Whatever B did, A's data is as it was (but for times that move by themselves and the
    // progress of A's own mail).
    EXPECT_EQ(boost::json::serialize(stable(export_of(a))),
              boost::json::serialize(stable(a_export)));
}

TEST(accounts_privacy, operator_commands_find_export_and_delete) {
    account_daemon d;
    sign_up(d, "asker@example.com");
    sign_up(d, "minor@example.com");
    auto r = d.cli({"accounts", "find", "Asker@example.com"});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("email confirmed yes"), std::string::npos) << r.out;
    r = d.cli({"accounts", "find", "nobody@example.com"});
    EXPECT_EQ(r.exit_code, 1);

    auto out = d.dir() / "export.json";
    r = d.cli({"accounts", "export", "asker@example.com", "--out", out.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_EQ(std::filesystem::status(out).permissions() & std::filesystem::perms::all,
              std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    auto doc = boost::json::parse(file_bytes(out)).as_object();
    EXPECT_EQ(doc.at("account").at("email"), "asker@example.com");

    r = d.cli({"accounts", "delete", "asker@example.com"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("will be erased at"), std::string::npos) << r.out;
    api_client c(d.address());
    auto login = c.call("POST", "/auth/login",
                        json_text({{"email", "asker@example.com"}, {"password", good_password}}));
    ASSERT_EQ(login.status, 200);
    EXPECT_FALSE(body_of(login).at("deletion_scheduled_at").is_null());

    r = d.cli({"accounts", "delete", "minor@example.com", "--now"});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("erased account"), std::string::npos) << r.out;
    EXPECT_FALSE(api_client(d.address()).login("minor@example.com"));
    EXPECT_EQ(d.cli({"accounts", "find", "minor@example.com"}).exit_code, 1);
    // The audit lines name no address.
    for (const auto& f : files_under({d.dir() / "var/log"})) {
        EXPECT_EQ(file_bytes(f).find("minor@example.com"), std::string::npos) << f;
    }
}

// Two erasers at once (here two commands; the daemon's job is a third kind): one notice, one
// erasure, and both say what happened.
TEST(accounts_privacy, concurrent_erasers_send_one_notice) {
    account_daemon d;
    sign_up(d, "twice@example.com");
    auto run_delete = [&] { return d.cli({"accounts", "delete", "twice@example.com", "--now"}); };
    auto first = std::async(std::launch::async, run_delete);
    auto second = std::async(std::launch::async, run_delete);
    auto r1 = first.get(), r2 = second.get();
    // A command that found the account already gone says so and fails, as `find` would.
    int erased = 0;
    for (const auto* r : {&r1, &r2}) {
        EXPECT_TRUE(r->exit_code == 0 || r->exit_code == 1) << r->out << r->err;
        erased += r->out.find("erased account") != std::string::npos ? 1 : 0;
    }
    EXPECT_EQ(erased, 1) << r1.out << r2.out;
    EXPECT_EQ(d.cli({"accounts", "find", "twice@example.com"}).exit_code, 1);
    // The notice was sent once (and its file went with the account): whichever process sent
    // it (the daemon or a command) logged it in the shared log folder.
    auto notices_sent = [&] {
        int n = 0;
        for (const auto& f : files_under({d.dir() / "var/log"})) {
            std::istringstream in(file_bytes(f));
            for (std::string line; std::getline(in, line);) {
                n += line.find("\"mail sent\"") != std::string::npos &&
                             line.find("deletion_completed") != std::string::npos
                         ? 1
                         : 0;
            }
        }
        return n;
    };
    ASSERT_TRUE(wait_for([&] { return notices_sent() >= 1; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // the daemon flushes each second
    EXPECT_EQ(notices_sent(), 1);
}

TEST(accounts_privacy, notify_all_mails_every_account) {
    account_daemon d;
    sign_up(d, "one@example.com");
    sign_up(d, "two@example.com");
    auto r = d.cli({"notify-all", "--template", "policy_change"});
    EXPECT_EQ(r.exit_code, 2);
    EXPECT_NE(r.err.find("effective_date"), std::string::npos) << r.err;
    r = d.cli({"notify-all", "--template", "no_such_mail"});
    EXPECT_EQ(r.exit_code, 2);
    r = d.cli({"notify-all", "--template", "policy_change", "--param", "effective_date=2027-02-01",
               "--param", "summary=We now keep SMS for 14 days."});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("to 2 accounts"), std::string::npos) << r.out;
    for (std::string who : {"one@example.com", "two@example.com"}) {
        EXPECT_TRUE(mailed(d.mail_dir(), who, "keep SMS for 14 days")) << who;
    }
    // Marketing mail reaches only those who opted in.
    api_client two(d.address());
    ASSERT_TRUE(two.login("two@example.com"));
    ASSERT_EQ(two.call("PATCH", "/me", json_text({{"marketing_opt_in", true}})).status, 200);
    r = d.cli({"notify-all", "--marketing", "--template", "policy_change", "--param",
               "effective_date=2027-03-01", "--param", "summary=A new country: Latvia."});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_NE(r.out.find("to 1 account;"), std::string::npos) << r.out;
    EXPECT_TRUE(mailed(d.mail_dir(), "two@example.com", "A new country: Latvia."));
    ASSERT_TRUE(wait_for([&] {
        return d.cli({"mail", "status"}).out.find("queued 0,") != std::string::npos;
    }));
    EXPECT_FALSE(mailed(d.mail_dir(), "one@example.com", "A new country: Latvia.",
                        std::chrono::milliseconds(0)));
}

}  // namespace
}  // namespace vrnum::test
