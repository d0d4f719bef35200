#include "mail/outbox_store.hpp"

#include <stdexcept>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <openssl/rand.h>

#include "crypto/encoding.hpp"
#include "mail/mime.hpp"

namespace vrnumd::mail {
namespace {

constexpr std::string_view recipient_column = "mail.recipient";
constexpr std::string_view content_column = "mail.content";

std::string random_token() {
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    return vrnum::detail::encode_hex(std::string_view(reinterpret_cast<char*>(raw), sizeof raw));
}

std::string content_json(const rendered_mail& c) {
    return boost::json::serialize(
        boost::json::object{{"subject", c.subject}, {"text", c.text}, {"html", c.html}});
}

std::optional<rendered_mail> parse_content(std::string_view json) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(json, ec);
    const boost::json::object* o = ec ? nullptr : v.if_object();
    if (o == nullptr) {
        return std::nullopt;
    }
    auto get = [&](const char* key) -> const boost::json::string* {
        const boost::json::value* f = o->if_contains(key);
        return f ? f->if_string() : nullptr;
    };
    const auto *s = get("subject"), *t = get("text"), *h = get("html");
    if (!s || !t || !h) {
        return std::nullopt;
    }
    return rendered_mail{std::string(*s), std::string(*t), std::string(*h)};
}

std::vector<std::string> delete_returning_tokens(vrnum::write_txn& txn, std::string_view select,
                                                 std::string_view del, std::int64_t arg) {
    std::vector<std::string> tokens;
    txn.query(select, {arg}, [&](const vrnum::sql_row& r) { tokens.push_back(r.get_text(0)); });
    txn.exec(del, {arg});
    return tokens;
}

}  // namespace

std::vector<vrnum::migration> migrations() {
    // status: queued (next_attempt_at = when it is due, or until when an attempt holds it),
    // sent or dead (finished_at; content NULL). account_id: the account it is erased with.
    // AUTOINCREMENT: an id is never reused, so a late result cannot land on another mail.
    return {{"mail", 1, R"sql(
CREATE TABLE mail_outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    token           TEXT    NOT NULL UNIQUE,
    template        TEXT    NOT NULL,
    account_id      INTEGER,
    recipient       BLOB    NOT NULL,
    content         BLOB,
    status          TEXT    NOT NULL DEFAULT 'queued'
                            CHECK (status IN ('queued', 'sent', 'dead')),
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    created_at      INTEGER NOT NULL,
    finished_at     INTEGER,
    last_error      TEXT
);
CREATE INDEX mail_outbox_due ON mail_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX mail_outbox_finished ON mail_outbox (finished_at) WHERE status <> 'queued';
CREATE INDEX mail_outbox_account ON mail_outbox (account_id) WHERE account_id IS NOT NULL;
)sql"},
            // The blind index of the recipient (as accounts index their email): erasing an
            // address also erases the mail other accounts sent to it (an email change).
            {"mail", 2, R"sql(
ALTER TABLE mail_outbox ADD COLUMN recipient_index TEXT;
CREATE INDEX mail_outbox_recipient ON mail_outbox (recipient_index)
    WHERE recipient_index IS NOT NULL;
)sql"}};
}

vrnum::sealed_table sealed_columns() {
    return {
        "mail_outbox",
        {{"recipient", std::string(recipient_column)}, {"content", std::string(content_column)}}};
}

std::int64_t insert_mail(vrnum::write_txn& txn, const new_mail& m, vrnum::unix_ms now) {
    // The row id is bound into the sealed columns, so the row comes first, with empty ones.
    txn.exec(
        "INSERT INTO mail_outbox (token, template, account_id, recipient, next_attempt_at, "
        "created_at) VALUES (?1, ?2, ?3, x'', ?4, ?4)",
        {random_token(), m.template_name,
         m.account_id ? vrnum::sql_value(*m.account_id) : vrnum::sql_value(nullptr), now});
    std::int64_t id = txn.last_insert_id();
    std::string to = txn.seal(m.to, id, recipient_column);
    std::string content = txn.seal(content_json(m.content), id, content_column);
    std::string index = txn.blind_index(normalise_address(m.to));
    txn.exec(
        "UPDATE mail_outbox SET recipient = ?1, content = ?2, recipient_index = ?3 "
        "WHERE id = ?4",
        {vrnum::blob{to}, vrnum::blob{content}, std::string_view(index), id});
    return id;
}

std::vector<queued_mail> due_mail(vrnum::read_txn& txn, vrnum::unix_ms now, std::size_t limit) {
    std::vector<queued_mail> out;
    txn.query(
        "SELECT id, token, template, recipient, content, attempts, next_attempt_at "
        "FROM mail_outbox WHERE status = 'queued' AND next_attempt_at <= ?1 "
        "ORDER BY next_attempt_at, id LIMIT ?2",
        {now, static_cast<std::int64_t>(limit)}, [&](const vrnum::sql_row& r) {
            queued_mail m;
            m.id = r.get_int(0);
            m.token = r.get_text(1);
            m.template_name = r.get_text(2);
            m.attempts = static_cast<int>(r.get_int(5));
            m.due = r.get_int(6);
            auto to = txn.open(r.get_blob(3), m.id, recipient_column);
            auto content =
                txn.open(r.is_null(4) ? std::string() : r.get_blob(4), m.id, content_column);
            std::optional<rendered_mail> parsed;
            if (to && content) {
                parsed = parse_content(*content);
            }
            if (parsed) {
                m.to = std::move(*to);
                m.content = std::move(*parsed);
            } else {
                m.unreadable = true;
            }
            out.push_back(std::move(m));
        });
    return out;
}

bool claim_mail(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms due,
                vrnum::unix_ms lease_until) {
    return txn.exec(
               "UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?1 "
               "WHERE id = ?2 AND status = 'queued' AND next_attempt_at = ?3",
               {lease_until, id, due}) == 1;
}

// Every result is guarded by its claim: the same row (ids are never reused and the token is
// the row's own), still queued, still at the claim's attempt.
#define VRNUMD_CLAIM_GUARD " WHERE id = ?1 AND token = ?2 AND attempts = ?3 AND status = 'queued'"

bool mark_sent(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms now) {
    return txn.exec(
               "UPDATE mail_outbox SET status = 'sent', content = NULL, finished_at = ?4, "
               "last_error = NULL" VRNUMD_CLAIM_GUARD,
               {c.id, c.token, std::int64_t{c.attempts}, now}) == 1;
}

bool mark_retry(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms next,
                const std::string& error) {
    return txn.exec(
               "UPDATE mail_outbox SET next_attempt_at = ?4, last_error = ?5" VRNUMD_CLAIM_GUARD,
               {c.id, c.token, std::int64_t{c.attempts}, next, error}) == 1;
}

bool mark_dead(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms now,
               const std::string& error) {
    return txn.exec(
               "UPDATE mail_outbox SET status = 'dead', content = NULL, finished_at = ?4, "
               "last_error = ?5" VRNUMD_CLAIM_GUARD,
               {c.id, c.token, std::int64_t{c.attempts}, now, error}) == 1;
}

#undef VRNUMD_CLAIM_GUARD

std::vector<std::string> erase_account_mail(vrnum::write_txn& txn, std::int64_t account_id,
                                            std::string_view address) {
    std::vector<std::string> tokens =
        delete_returning_tokens(txn, "SELECT token FROM mail_outbox WHERE account_id = ?1",
                                "DELETE FROM mail_outbox WHERE account_id = ?1", account_id);
    if (!address.empty()) {
        std::string index = txn.blind_index(normalise_address(address));
        txn.query("SELECT token FROM mail_outbox WHERE recipient_index = ?1",
                  {std::string_view(index)},
                  [&](const vrnum::sql_row& r) { tokens.push_back(r.get_text(0)); });
        txn.exec("DELETE FROM mail_outbox WHERE recipient_index = ?1", {std::string_view(index)});
        // Rows queued before the index existed (mail migration 2): opened one by one.
        std::string wanted = normalise_address(address);
        std::vector<std::pair<std::int64_t, std::string>> legacy;
        txn.query("SELECT id, recipient, token FROM mail_outbox WHERE recipient_index IS NULL", {},
                  [&](const vrnum::sql_row& r) {
                      auto to = txn.open(r.get_blob(1), r.get_int(0), recipient_column);
                      if (to && normalise_address(*to) == wanted) {
                          legacy.emplace_back(r.get_int(0), r.get_text(2));
                      }
                  });
        for (auto& [id, token] : legacy) {
            txn.exec("DELETE FROM mail_outbox WHERE id = ?1", {id});
            tokens.push_back(std::move(token));
        }
    }
    return tokens;
}

std::vector<std::string> purge_finished_mail(vrnum::write_txn& txn, vrnum::unix_ms before) {
    return delete_returning_tokens(
        txn, "SELECT token FROM mail_outbox WHERE status <> 'queued' AND finished_at < ?1",
        "DELETE FROM mail_outbox WHERE status <> 'queued' AND finished_at < ?1", before);
}

std::set<std::string> all_mail_tokens(vrnum::read_txn& txn) {
    std::set<std::string> tokens;
    txn.query("SELECT token FROM mail_outbox", {},
              [&](const vrnum::sql_row& r) { tokens.insert(r.get_text(0)); });
    return tokens;
}

outbox_counts count_mail(vrnum::read_txn& txn) {
    outbox_counts c;
    txn.query("SELECT status, count(*) FROM mail_outbox GROUP BY status", {},
              [&](const vrnum::sql_row& r) {
                  std::string s = r.get_text(0);
                  (s == "queued" ? c.queued : s == "sent" ? c.sent : c.dead) = r.get_int(1);
              });
    return c;
}

std::optional<mail_status> mail_state(vrnum::read_txn& txn, std::int64_t id) {
    std::optional<mail_status> out;
    txn.query(
        "SELECT token, template, status, attempts, last_error, content IS NOT NULL "
        "FROM mail_outbox WHERE id = ?1",
        {id}, [&](const vrnum::sql_row& r) {
            out = mail_status{id,
                              r.get_text(0),
                              r.get_text(1),
                              r.get_text(2),
                              static_cast<int>(r.get_int(3)),
                              r.is_null(4) ? std::string() : r.get_text(4),
                              r.get_int(5) != 0};
        });
    return out;
}

std::vector<account_mail_row> account_mail(vrnum::read_txn& txn, std::int64_t account_id) {
    std::vector<account_mail_row> rows;
    txn.query(
        "SELECT id, template, status, recipient, created_at, finished_at FROM mail_outbox "
        "WHERE account_id = ?1 ORDER BY id",
        {account_id}, [&](const vrnum::sql_row& r) {
            account_mail_row m;
            m.id = r.get_int(0);
            m.template_name = r.get_text(1);
            m.status = r.get_text(2);
            if (auto to = txn.open(r.get_blob(3), m.id, recipient_column)) {
                m.recipient = std::move(*to);
            }
            m.created_at = r.get_int(4);
            if (!r.is_null(5)) {
                m.finished_at = r.get_int(5);
            }
            rows.push_back(std::move(m));
        });
    return rows;
}

}  // namespace vrnumd::mail
