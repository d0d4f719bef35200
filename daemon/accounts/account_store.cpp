#include "accounts/account_store.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "accounts/secrets.hpp"
#include "mail/mime.hpp"

namespace vrnumd::accounts {
namespace {

constexpr std::string_view email_column = "account.email";
constexpr std::string_view attribution_column = "account.attribution";
constexpr std::string_view pending_column = "account.pending_email";

constexpr std::string_view account_columns =
    "SELECT id, email, password_hash, email_confirmed, created_at, marketing_opt_in, "
    "attribution, attribution_objection, deletion_requested_at, pending_email FROM accounts ";

std::string_view purpose_name(token_purpose p) {
    switch (p) {
        case token_purpose::confirm_email:
            return "confirm_email";
        case token_purpose::reset_password:
            return "reset_password";
        case token_purpose::change_email:
            return "change_email";
    }
    return "";
}

std::optional<token_purpose> parse_purpose(std::string_view s) {
    for (auto p : {token_purpose::confirm_email, token_purpose::reset_password,
                   token_purpose::change_email}) {
        if (purpose_name(p) == s) {
            return p;
        }
    }
    return std::nullopt;
}

std::string attribution_json(const attribution& a) {
    boost::json::object o;
    auto put = [&](const char* k, const std::string& v) {
        if (!v.empty()) {
            o[k] = v;
        }
    };
    put("utm_source", a.utm_source);
    put("utm_medium", a.utm_medium);
    put("utm_campaign", a.utm_campaign);
    put("utm_term", a.utm_term);
    put("utm_content", a.utm_content);
    put("referrer_host", a.referrer_host);
    return boost::json::serialize(o);
}

attribution parse_attribution(std::string_view json) {
    attribution a;
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(json, ec);
    const boost::json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        return a;
    }
    auto get = [&](const char* k) {
        const boost::json::value* f = o->if_contains(k);
        return f && f->is_string() ? std::string(f->get_string()) : std::string();
    };
    a = {get("utm_source"), get("utm_medium"),  get("utm_campaign"),
         get("utm_term"),   get("utm_content"), get("referrer_host")};
    return a;
}

// Opens a sealed column; a value that does not open (a missing key) throws, as reading an
// account without its email would answer wrongly.
std::string open_column(vrnum::read_txn& txn, std::string_view env, std::int64_t id,
                        std::string_view column) {
    auto r = txn.open(env, id, column);
    if (!r) {
        throw std::runtime_error("account " + std::to_string(id) + ": " + std::string(column) +
                                 " does not open: " + r.error().message());
    }
    return std::move(*r);
}

std::optional<account> query_account(vrnum::read_txn& txn, std::string_view where,
                                     vrnum::sql_value arg) {
    std::optional<account> found;
    std::string sql = std::string(account_columns) + std::string(where);
    txn.query(sql, {arg}, [&](const vrnum::sql_row& r) {
        account a;
        a.id = r.get_int(0);
        a.email = open_column(txn, r.get_blob(1), a.id, email_column);
        a.password_hash = r.get_text(2);
        a.email_confirmed = r.get_int(3) != 0;
        a.created_at = r.get_int(4);
        a.marketing_opt_in = r.get_int(5) != 0;
        if (!r.is_null(6)) {
            a.attribution_data =
                parse_attribution(open_column(txn, r.get_blob(6), a.id, attribution_column));
        }
        a.attribution_objection = r.get_int(7) != 0;
        if (!r.is_null(8)) {
            a.deletion_requested_at = r.get_int(8);
        }
        if (!r.is_null(9)) {
            a.pending_email = open_column(txn, r.get_blob(9), a.id, pending_column);
        }
        found = std::move(a);
    });
    return found;
}

std::string index_of(const vrnum::read_txn& txn, std::string_view email) {
    return txn.blind_index(normalise_email(email));
}

}  // namespace

std::vector<vrnum::migration> migrations() {
    // Times are Unix milliseconds. `email_index`: the blind index of the normalised address
    // (the only way to find an account by email). Link tokens and credentials are stored as
    // the SHA-256 of their secret; they go with the account (ON DELETE CASCADE).
    return {{"accounts", 1, R"(
CREATE TABLE accounts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  email_index TEXT NOT NULL UNIQUE,
  email BLOB NOT NULL,
  password_hash TEXT NOT NULL,
  email_confirmed INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  marketing_opt_in INTEGER NOT NULL DEFAULT 0,
  attribution BLOB,
  attribution_objection INTEGER NOT NULL DEFAULT 0,
  deletion_requested_at INTEGER,
  pending_email BLOB,
  pending_email_index TEXT
);
CREATE INDEX accounts_deletion ON accounts(deletion_requested_at)
  WHERE deletion_requested_at IS NOT NULL;
CREATE TABLE account_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash BLOB NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  purpose TEXT NOT NULL CHECK (purpose IN ('confirm_email', 'reset_password', 'change_email')),
  created_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX account_tokens_account ON account_tokens(account_id);
CREATE TABLE sessions (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash BLOB NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  csrf_token TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX sessions_account ON sessions(account_id);
CREATE TABLE api_keys (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  key_hash BLOB NOT NULL UNIQUE,
  account_id INTEGER NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  prefix TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  last_used_at INTEGER
);
CREATE INDEX api_keys_account ON api_keys(account_id);
)"},
            // The "account deleted" mail queued for an erasure in progress (its outbox id):
            // every eraser waits for that one, and a cancel is refused once it is queued.
            {"accounts", 2, R"(
ALTER TABLE accounts ADD COLUMN erasure_notice INTEGER;
)"}};
}

vrnum::sealed_table sealed_columns() {
    return {"accounts",
            {{"email", std::string(email_column)},
             {"attribution", std::string(attribution_column)},
             {"pending_email", std::string(pending_column)}}};
}

std::string normalise_email(std::string_view email) {
    return mail::normalise_address(email);
}

std::optional<std::int64_t> create_account(vrnum::write_txn& txn, std::string_view email,
                                           std::string_view password_hash,
                                           const std::optional<attribution>& attr,
                                           vrnum::unix_ms now) {
    std::string index = index_of(txn, email);
    if (txn.exec("INSERT INTO accounts (email_index, email, password_hash, created_at) "
                 "VALUES (?1, x'', ?2, ?3) ON CONFLICT (email_index) DO NOTHING",
                 {std::string_view(index), password_hash, now}) == 0) {
        return std::nullopt;
    }
    std::int64_t id = txn.last_insert_id();
    // Sealed with the row id bound in, so the id must exist first.
    std::string sealed = txn.seal(normalise_email(email), id, email_column);
    txn.exec("UPDATE accounts SET email = ?1 WHERE id = ?2", {vrnum::blob{sealed}, id});
    if (attr && !attr->empty()) {
        std::string a = txn.seal(attribution_json(*attr), id, attribution_column);
        txn.exec("UPDATE accounts SET attribution = ?1 WHERE id = ?2", {vrnum::blob{a}, id});
    }
    return id;
}

std::optional<account> find_account_by_email(vrnum::read_txn& txn, std::string_view email) {
    std::string index = index_of(txn, email);
    return query_account(txn, "WHERE email_index = ?1", std::string_view(index));
}

std::optional<account> load_account(vrnum::read_txn& txn, std::int64_t id) {
    return query_account(txn, "WHERE id = ?1", id);
}

std::vector<std::int64_t> account_ids(vrnum::read_txn& txn, bool opted_in) {
    std::vector<std::int64_t> ids;
    txn.query("SELECT id FROM accounts WHERE ?1 = 0 OR marketing_opt_in = 1 ORDER BY id",
              {std::int64_t{opted_in ? 1 : 0}},
              [&](const vrnum::sql_row& r) { ids.push_back(r.get_int(0)); });
    return ids;
}

void set_email_confirmed(vrnum::write_txn& txn, std::int64_t id) {
    txn.exec("UPDATE accounts SET email_confirmed = 1 WHERE id = ?1", {id});
}

void set_password_hash(vrnum::write_txn& txn, std::int64_t id, std::string_view hash) {
    txn.exec("UPDATE accounts SET password_hash = ?1 WHERE id = ?2", {hash, id});
}

void set_marketing_opt_in(vrnum::write_txn& txn, std::int64_t id, bool on) {
    txn.exec("UPDATE accounts SET marketing_opt_in = ?1 WHERE id = ?2",
             {std::int64_t{on ? 1 : 0}, id});
}

void set_attribution_objection(vrnum::write_txn& txn, std::int64_t id, bool objects) {
    if (objects) {
        txn.exec("UPDATE accounts SET attribution_objection = 1, attribution = NULL WHERE id = ?1",
                 {id});
    } else {
        txn.exec("UPDATE accounts SET attribution_objection = 0 WHERE id = ?1", {id});
    }
}

void set_pending_email(vrnum::write_txn& txn, std::int64_t id, std::string_view email) {
    std::string sealed = txn.seal(normalise_email(email), id, pending_column);
    std::string index = index_of(txn, email);
    txn.exec("UPDATE accounts SET pending_email = ?1, pending_email_index = ?2 WHERE id = ?3",
             {vrnum::blob{sealed}, std::string_view(index), id});
}

bool apply_pending_email(vrnum::write_txn& txn, std::int64_t id) {
    auto a = load_account(txn, id);
    if (!a || !a->pending_email) {
        return false;
    }
    std::string index = index_of(txn, *a->pending_email);
    std::string sealed = txn.seal(*a->pending_email, id, email_column);
    txn.exec("UPDATE accounts SET pending_email = NULL, pending_email_index = NULL WHERE id = ?1",
             {id});
    // The address must still be free: a unique index decides, without a look-up race.
    return txn.exec(
               "UPDATE OR IGNORE accounts SET email = ?1, email_index = ?2, "
               "email_confirmed = 1 WHERE id = ?3",
               {vrnum::blob{sealed}, std::string_view(index), id}) == 1;
}

vrnum::unix_ms schedule_deletion(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms at) {
    // A fresh request starts without a notice (one left by an interrupted `--now` goes).
    txn.exec(
        "UPDATE accounts SET deletion_requested_at = ?1, erasure_notice = NULL "
        "WHERE id = ?2 AND deletion_requested_at IS NULL",
        {at, id});
    vrnum::unix_ms asked = at;
    txn.query("SELECT deletion_requested_at FROM accounts WHERE id = ?1", {id},
              [&](const vrnum::sql_row& r) { asked = r.get_int(0); });
    return asked;
}

bool cancel_deletion(vrnum::write_txn& txn, std::int64_t id) {
    return txn.exec(
               "UPDATE accounts SET deletion_requested_at = NULL "
               "WHERE id = ?1 AND erasure_notice IS NULL",
               {id}) == 1;
}

bool due_for_erasure(vrnum::read_txn& txn, std::int64_t id, vrnum::unix_ms cutoff) {
    bool due = false;
    txn.query(
        "SELECT 1 FROM accounts WHERE id = ?1 AND deletion_requested_at IS NOT NULL AND "
        "deletion_requested_at <= ?2",
        {id, cutoff}, [&](const vrnum::sql_row&) { due = true; });
    return due;
}

std::optional<std::int64_t> erasure_notice(vrnum::read_txn& txn, std::int64_t id) {
    std::optional<std::int64_t> mail_id;
    txn.query("SELECT erasure_notice FROM accounts WHERE id = ?1 AND erasure_notice IS NOT NULL",
              {id}, [&](const vrnum::sql_row& r) { mail_id = r.get_int(0); });
    return mail_id;
}

void set_erasure_notice(vrnum::write_txn& txn, std::int64_t id, std::int64_t mail_id) {
    txn.exec("UPDATE accounts SET erasure_notice = ?1 WHERE id = ?2", {mail_id, id});
}

void clear_pending_email(vrnum::write_txn& txn, std::int64_t id) {
    txn.exec("DELETE FROM account_tokens WHERE account_id = ?1 AND purpose = 'change_email'", {id});
    txn.exec("UPDATE accounts SET pending_email = NULL, pending_email_index = NULL WHERE id = ?1",
             {id});
}

void forget_pending_address(vrnum::write_txn& txn, std::string_view email) {
    std::string index = index_of(txn, email);
    std::vector<std::int64_t> ids;
    txn.query("SELECT id FROM accounts WHERE pending_email_index = ?1", {std::string_view(index)},
              [&](const vrnum::sql_row& r) { ids.push_back(r.get_int(0)); });
    for (std::int64_t id : ids) {
        clear_pending_email(txn, id);
    }
}

std::vector<std::int64_t> accounts_due_for_erasure(vrnum::read_txn& txn, vrnum::unix_ms cutoff) {
    std::vector<std::int64_t> ids;
    txn.query(
        "SELECT id FROM accounts WHERE deletion_requested_at IS NOT NULL AND "
        "deletion_requested_at <= ?1 ORDER BY id",
        {cutoff}, [&](const vrnum::sql_row& r) { ids.push_back(r.get_int(0)); });
    return ids;
}

void delete_account_rows(vrnum::write_txn& txn, std::int64_t id) {
    // Explicit rather than left to ON DELETE CASCADE: the erasure must not depend on a
    // connection's foreign_keys setting.
    txn.exec("DELETE FROM account_tokens WHERE account_id = ?1", {id});
    txn.exec("DELETE FROM sessions WHERE account_id = ?1", {id});
    txn.exec("DELETE FROM api_keys WHERE account_id = ?1", {id});
    txn.exec("DELETE FROM accounts WHERE id = ?1", {id});
}

std::string issue_token(vrnum::write_txn& txn, std::int64_t account_id, token_purpose purpose,
                        vrnum::unix_ms now, vrnum::unix_ms expires_at) {
    std::string secret = random_secret();
    std::string hash = secret_hash(secret);
    txn.exec("DELETE FROM account_tokens WHERE account_id = ?1 AND purpose = ?2",
             {account_id, purpose_name(purpose)});
    txn.exec(
        "INSERT INTO account_tokens (token_hash, account_id, purpose, created_at, expires_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        {vrnum::blob{hash}, account_id, purpose_name(purpose), now, expires_at});
    return secret;
}

std::optional<token_use> consume_token(vrnum::write_txn& txn, std::string_view secret,
                                       std::initializer_list<token_purpose> purposes,
                                       vrnum::unix_ms now) {
    std::string hash = secret_hash(secret);
    std::optional<token_use> use;
    vrnum::unix_ms expires = 0;
    std::int64_t row = 0;
    txn.query(
        "SELECT id, account_id, purpose, expires_at FROM account_tokens "
        "WHERE token_hash = ?1",
        {vrnum::blob{hash}}, [&](const vrnum::sql_row& r) {
            auto p = parse_purpose(r.get_text(2));
            if (p && std::find(purposes.begin(), purposes.end(), *p) != purposes.end()) {
                row = r.get_int(0);
                use = token_use{r.get_int(1), *p};
                expires = r.get_int(3);
            }
        });
    if (!use) {
        return std::nullopt;
    }
    txn.exec("DELETE FROM account_tokens WHERE id = ?1", {row});
    if (expires <= now) {
        return std::nullopt;
    }
    return use;
}

std::optional<std::int64_t> peek_token(vrnum::read_txn& txn, std::string_view secret,
                                       token_purpose purpose, vrnum::unix_ms now) {
    std::string hash = secret_hash(secret);
    std::optional<std::int64_t> id;
    txn.query(
        "SELECT account_id FROM account_tokens WHERE token_hash = ?1 AND purpose = ?2 "
        "AND expires_at > ?3",
        {vrnum::blob{hash}, purpose_name(purpose), now},
        [&](const vrnum::sql_row& r) { id = r.get_int(0); });
    return id;
}

std::int64_t purge_expired_tokens(vrnum::write_txn& txn, vrnum::unix_ms now) {
    return txn.exec("DELETE FROM account_tokens WHERE expires_at <= ?1", {now});
}

}  // namespace vrnumd::accounts
