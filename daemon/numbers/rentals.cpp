#include "numbers/rentals.hpp"

#include "mail/display.hpp"

namespace vrnumd::numbers {
namespace {

using vrnum::sql_row;

constexpr const char* rental_columns =
    "SELECT r.id, r.account_id, r.number_id, coalesce(n.number, ''), r.country, "
    "coalesce(n.ref, ''), r.days, r.price_minor, r.state, r.expires_at, r.auto_renew, "
    "r.warned_days, r.renew_failed_for, r.created_at, r.renew_refused_for "
    "FROM rentals r LEFT JOIN numbers n ON n.id = r.number_id ";

std::optional<std::int64_t> opt_int(const sql_row& r, int c) {
    return r.is_null(c) ? std::nullopt : std::optional<std::int64_t>(r.get_int(c));
}

rental rental_of(const sql_row& r) {
    rental x;
    x.id = r.get_int(0);
    x.account_id = opt_int(r, 1);
    x.number_id = opt_int(r, 2);
    x.number = r.get_text(3);
    x.country = r.get_text(4);
    x.provider_ref = r.get_text(5);
    x.days = static_cast<unsigned>(r.get_int(6));
    x.price_minor = r.get_int(7);
    x.state = r.get_text(8);
    x.expires_at = opt_int(r, 9);
    x.auto_renew = r.get_int(10) != 0;
    if (auto w = opt_int(r, 11)) {
        x.warned_days = static_cast<unsigned>(*w);
    }
    x.renew_failed_for = opt_int(r, 12);
    x.created_at = r.get_int(13);
    x.renew_refused_for = opt_int(r, 14);
    return x;
}

}  // namespace

std::vector<vrnum::migration> migrations() {
    // numbers.state: free (pool, rentable once available_at passed), rented, quarantine
    // (until available_at), releasing (a release call not settled), retired (left the
    // pool), released (given back to the API).
    // rentals.state: pending (an allocation not settled), active, ended, failed.
    // rentals.account_id is NULL once the account is erased (the books keep the rental).
    // inbox: which account an SMS was routed to at receipt; the message itself is the
    // gateway's row (sealed), and goes with it (retention, deletion).
    return {{"numbers", 1, R"(
CREATE TABLE numbers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  number TEXT NOT NULL UNIQUE,
  country TEXT NOT NULL,
  origin TEXT NOT NULL CHECK (origin IN ('pool', 'http')),
  ref TEXT,
  state TEXT NOT NULL CHECK (state IN ('free', 'rented', 'quarantine', 'releasing', 'retired',
                                      'released')),
  available_at INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL
);
CREATE INDEX numbers_free ON numbers(country, state, available_at);
CREATE INDEX numbers_state ON numbers(state, available_at);
CREATE TABLE rentals (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER,
  number_id INTEGER REFERENCES numbers(id),
  country TEXT NOT NULL,
  days INTEGER NOT NULL,
  price_minor INTEGER NOT NULL,
  state TEXT NOT NULL CHECK (state IN ('pending', 'active', 'ended', 'failed')),
  expires_at INTEGER,
  auto_renew INTEGER NOT NULL DEFAULT 0,
  warned_days INTEGER,
  renew_failed_for INTEGER,
  renew_refused_for INTEGER,
  created_at INTEGER NOT NULL,
  ended_at INTEGER
);
CREATE INDEX rentals_account ON rentals(account_id, id);
CREATE INDEX rentals_expiry ON rentals(expires_at) WHERE state = 'active';
CREATE UNIQUE INDEX rentals_one_renter ON rentals(number_id)
  WHERE state IN ('pending', 'active') AND number_id IS NOT NULL;
CREATE INDEX rentals_number ON rentals(number_id, state);
CREATE TABLE rental_orders (
  account_id INTEGER NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  rental_id INTEGER,
  status INTEGER NOT NULL DEFAULT 0,
  body TEXT NOT NULL DEFAULT '',
  created_at INTEGER NOT NULL,
  PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX rental_orders_rental ON rental_orders(rental_id);
CREATE INDEX rental_orders_age ON rental_orders(created_at);
CREATE TABLE provision_ops (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('allocate', 'renew', 'release')),
  rental_id INTEGER,
  number_id INTEGER,
  ref TEXT NOT NULL DEFAULT '',
  days INTEGER NOT NULL DEFAULT 0,
  amount_minor INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'done', 'refused')),
  attempts INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX provision_ops_due ON provision_ops(lease_until) WHERE state = 'pending';
CREATE INDEX provision_ops_rental ON provision_ops(rental_id, kind) WHERE state = 'pending';
CREATE TABLE rental_stats (
  day TEXT NOT NULL,
  country TEXT NOT NULL,
  rentals INTEGER NOT NULL DEFAULT 0,
  renewals INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (day, country)
);
CREATE TABLE inbox (
  message_id INTEGER PRIMARY KEY REFERENCES messages(id) ON DELETE CASCADE,
  account_id INTEGER NOT NULL,
  rental_id INTEGER NOT NULL,
  is_read INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX inbox_account ON inbox(account_id, message_id);
CREATE INDEX inbox_rental ON inbox(rental_id, message_id);
)"}};
}

void sync_pool(vrnum::write_txn& txn, const std::vector<pool_number>& pool, vrnum::unix_ms now) {
    for (const auto& p : pool) {
        txn.exec(
            "INSERT INTO numbers (number, country, origin, state, created_at) "
            "VALUES (?1, ?2, 'pool', 'free', ?3) ON CONFLICT (number) DO UPDATE SET "
            "state = 'free' WHERE state = 'retired' AND origin = 'pool'",
            {std::string_view(p.number), std::string_view(p.country), now});
    }
    // A number taken out of the pool is not rented again; a rented one ends its rental first.
    std::vector<std::int64_t> gone;
    txn.query(
        "SELECT id, number FROM numbers WHERE origin = 'pool' AND state IN ('free', "
        "'quarantine')",
        {}, [&](const sql_row& r) {
            std::string n = r.get_text(1);
            bool kept = false;
            for (const auto& p : pool) {
                kept = kept || p.number == n;
            }
            if (!kept) {
                gone.push_back(r.get_int(0));
            }
        });
    for (auto id : gone) {
        txn.exec("UPDATE numbers SET state = 'retired' WHERE id = ?1", {id});
    }
}

std::int64_t free_count(vrnum::read_txn& txn, const std::string& country, vrnum::unix_ms now) {
    std::int64_t n = 0;
    txn.query(
        "SELECT count(*) FROM numbers WHERE country = ?1 AND state = 'free' AND available_at <= ?2",
        {std::string_view(country), now}, [&](const sql_row& r) { n = r.get_int(0); });
    return n;
}

std::optional<std::int64_t> take_free_number(vrnum::write_txn& txn, const std::string& country,
                                             vrnum::unix_ms now) {
    std::optional<std::int64_t> id;
    txn.query(
        "SELECT id FROM numbers WHERE country = ?1 AND state = 'free' AND available_at <= ?2 "
        "ORDER BY available_at, id LIMIT 1",
        {std::string_view(country), now}, [&](const sql_row& r) { id = r.get_int(0); });
    if (id) {
        txn.exec("UPDATE numbers SET state = 'rented' WHERE id = ?1", {*id});
    }
    return id;
}

std::int64_t add_allocated_number(vrnum::write_txn& txn, const std::string& number,
                                  const std::string& country, const std::string& ref,
                                  vrnum::unix_ms now) {
    // The API may hand out a number it had before: the row is reused.
    txn.exec(
        "INSERT INTO numbers (number, country, origin, ref, state, created_at) "
        "VALUES (?1, ?2, 'http', ?3, 'rented', ?4) ON CONFLICT (number) DO UPDATE SET "
        "country = ?2, origin = 'http', ref = ?3, state = 'rented', available_at = 0",
        {std::string_view(number), std::string_view(country), std::string_view(ref), now});
    std::int64_t id = 0;
    txn.query("SELECT id FROM numbers WHERE number = ?1", {std::string_view(number)},
              [&](const sql_row& r) { id = r.get_int(0); });
    return id;
}

std::int64_t add_rental(vrnum::write_txn& txn, std::int64_t account_id,
                        std::optional<std::int64_t> number_id, const std::string& country,
                        unsigned days, std::int64_t price_minor, bool auto_renew,
                        std::optional<vrnum::unix_ms> expires_at, vrnum::unix_ms now) {
    vrnum::sql_value number = number_id ? vrnum::sql_value(*number_id) : nullptr;
    vrnum::sql_value expiry = expires_at ? vrnum::sql_value(*expires_at) : nullptr;
    txn.exec(
        "INSERT INTO rentals (account_id, number_id, country, days, price_minor, state, "
        "expires_at, auto_renew, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        {account_id, number, std::string_view(country), static_cast<std::int64_t>(days),
         price_minor, std::string_view(number_id ? "active" : "pending"), expiry,
         static_cast<std::int64_t>(auto_renew ? 1 : 0), now});
    return txn.last_insert_id();
}

void activate_rental(vrnum::write_txn& txn, std::int64_t id, std::int64_t number_id,
                     vrnum::unix_ms expires_at) {
    txn.exec(
        "UPDATE rentals SET state = 'active', number_id = ?1, expires_at = ?2 "
        "WHERE id = ?3 AND state = 'pending'",
        {number_id, expires_at, id});
}

void fail_rental(vrnum::write_txn& txn, std::int64_t id) {
    txn.exec("UPDATE rentals SET state = 'failed' WHERE id = ?1 AND state = 'pending'", {id});
}

bool extend_rental(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at) {
    return txn.exec(
               "UPDATE rentals SET expires_at = ?1, warned_days = NULL, renew_failed_for = NULL, "
               "renew_refused_for = NULL WHERE id = ?2 AND state = 'active'",
               {expires_at, id}) == 1;
}

bool set_auto_renew(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id, bool on) {
    return txn.exec(
               "UPDATE rentals SET auto_renew = ?1 WHERE id = ?2 AND account_id = ?3 AND state "
               "IN ('pending', 'active')",
               {static_cast<std::int64_t>(on ? 1 : 0), id, account_id}) == 1;
}

void mark_warned(vrnum::write_txn& txn, std::int64_t id, unsigned days) {
    txn.exec("UPDATE rentals SET warned_days = ?1 WHERE id = ?2",
             {static_cast<std::int64_t>(days), id});
}

void mark_renew_failed(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at) {
    txn.exec("UPDATE rentals SET renew_failed_for = ?1 WHERE id = ?2", {expires_at, id});
}

void mark_renew_refused(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at) {
    txn.exec("UPDATE rentals SET renew_refused_for = ?1 WHERE id = ?2", {expires_at, id});
}

void end_rental(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms available_at,
                vrnum::unix_ms now) {
    txn.exec(
        "UPDATE numbers SET state = 'quarantine', available_at = ?1 WHERE id = "
        "(SELECT number_id FROM rentals WHERE id = ?2 AND state = 'active')",
        {available_at, id});
    txn.exec("UPDATE rentals SET state = 'ended', ended_at = ?1 WHERE id = ?2 AND state = 'active'",
             {now, id});
}

std::optional<rental> find_rental(vrnum::read_txn& txn, std::int64_t id,
                                  std::optional<std::int64_t> account_id) {
    std::optional<rental> out;
    vrnum::sql_value owner = account_id ? vrnum::sql_value(*account_id) : nullptr;
    txn.query(std::string(rental_columns) + "WHERE r.id = ?1 AND (?2 IS NULL OR r.account_id = ?2)",
              {id, owner}, [&](const sql_row& r) { out = rental_of(r); });
    return out;
}

std::vector<rental> list_rentals(vrnum::read_txn& txn, std::int64_t account_id, std::int64_t before,
                                 std::size_t limit) {
    std::vector<rental> out;
    txn.query(std::string(rental_columns) +
                  "WHERE r.account_id = ?1 AND (?2 = 0 OR r.id < ?2) ORDER BY r.id DESC LIMIT ?3",
              {account_id, before, static_cast<std::int64_t>(limit)},
              [&](const sql_row& r) { out.push_back(rental_of(r)); });
    return out;
}

std::vector<rental> rentals_expiring(vrnum::read_txn& txn, vrnum::unix_ms until,
                                     std::size_t limit) {
    std::vector<rental> out;
    txn.query(std::string(rental_columns) +
                  "WHERE r.state = 'active' AND r.expires_at < ?1 ORDER BY r.expires_at LIMIT ?2",
              {until, static_cast<std::int64_t>(limit)},
              [&](const sql_row& r) { out.push_back(rental_of(r)); });
    return out;
}

std::vector<quarantined> quarantine_over(vrnum::read_txn& txn, vrnum::unix_ms now,
                                         std::size_t limit) {
    std::vector<quarantined> out;
    txn.query(
        "SELECT id, number, origin, coalesce(ref, '') FROM numbers WHERE state = 'quarantine' "
        "AND available_at <= ?1 ORDER BY available_at LIMIT ?2",
        {now, static_cast<std::int64_t>(limit)}, [&](const sql_row& r) {
            out.push_back({r.get_int(0), r.get_text(1), r.get_text(2), r.get_text(3)});
        });
    return out;
}

void number_back(vrnum::write_txn& txn, std::int64_t number_id, after_quarantine next) {
    std::string_view state = next == after_quarantine::free      ? "free"
                             : next == after_quarantine::retired ? "retired"
                                                                 : "releasing";
    txn.exec("UPDATE numbers SET state = ?1 WHERE id = ?2 AND state = 'quarantine'",
             {state, number_id});
}

void number_released(vrnum::write_txn& txn, std::int64_t number_id) {
    txn.exec("UPDATE numbers SET state = 'released' WHERE id = ?1 AND state = 'releasing'",
             {number_id});
}

std::optional<idempotent_order> find_order(vrnum::read_txn& txn, std::int64_t account_id,
                                           const std::string& key) {
    std::optional<idempotent_order> out;
    txn.query(
        "SELECT request_hash, rental_id, status, body FROM rental_orders "
        "WHERE account_id = ?1 AND idempotency_key = ?2",
        {account_id, std::string_view(key)}, [&](const sql_row& r) {
            out = idempotent_order{r.get_text(0), opt_int(r, 1),
                                   static_cast<unsigned>(r.get_int(2)), r.get_text(3)};
        });
    return out;
}

std::vector<order_row> list_orders(vrnum::read_txn& txn, std::int64_t account_id) {
    std::vector<order_row> out;
    txn.query(
        "SELECT idempotency_key, rental_id, status, created_at FROM rental_orders "
        "WHERE account_id = ?1 ORDER BY created_at",
        {account_id}, [&](const sql_row& r) {
            out.push_back(
                {r.get_text(0), opt_int(r, 1), static_cast<unsigned>(r.get_int(2)), r.get_int(3)});
        });
    return out;
}

void add_order(vrnum::write_txn& txn, std::int64_t account_id, const std::string& key,
               const std::string& request_hash, std::optional<std::int64_t> rental_id,
               unsigned status, const std::string& body, vrnum::unix_ms now) {
    vrnum::sql_value rid = rental_id ? vrnum::sql_value(*rental_id) : nullptr;
    txn.exec(
        "INSERT INTO rental_orders (account_id, idempotency_key, request_hash, rental_id, "
        "status, body, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        {account_id, std::string_view(key), std::string_view(request_hash), rid,
         static_cast<std::int64_t>(status), std::string_view(body), now});
}

void finish_order(vrnum::write_txn& txn, std::int64_t rental_id, unsigned status,
                  const std::string& body) {
    txn.exec("UPDATE rental_orders SET status = ?1, body = ?2 WHERE rental_id = ?3 AND status = 0",
             {static_cast<std::int64_t>(status), std::string_view(body), rental_id});
}

std::int64_t purge_orders(vrnum::write_txn& txn, vrnum::unix_ms before) {
    return txn.exec("DELETE FROM rental_orders WHERE created_at < ?1 AND status <> 0", {before});
}

std::int64_t add_op(vrnum::write_txn& txn, const provision_op& op, vrnum::unix_ms lease_until,
                    vrnum::unix_ms now) {
    vrnum::sql_value rid = op.rental_id ? vrnum::sql_value(*op.rental_id) : nullptr;
    vrnum::sql_value nid = op.number_id ? vrnum::sql_value(*op.number_id) : nullptr;
    txn.exec(
        "INSERT INTO provision_ops (kind, rental_id, number_id, ref, days, amount_minor, "
        "lease_until, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)",
        {std::string_view(op.kind), rid, nid, std::string_view(op.ref),
         static_cast<std::int64_t>(op.days), op.amount_minor, lease_until, now});
    return txn.last_insert_id();
}

namespace {

constexpr const char* op_columns =
    "SELECT id, kind, rental_id, number_id, ref, days, amount_minor, attempts FROM provision_ops ";

provision_op op_of(const sql_row& r) {
    return {r.get_int(0),  r.get_text(1),
            opt_int(r, 2), opt_int(r, 3),
            r.get_text(4), static_cast<unsigned>(r.get_int(5)),
            r.get_int(6),  static_cast<int>(r.get_int(7))};
}

}  // namespace

bool renewal_pending(vrnum::read_txn& txn, std::int64_t rental_id) {
    return txn.query(
               "SELECT 1 FROM provision_ops WHERE rental_id = ?1 AND kind = 'renew' AND "
               "state = 'pending'",
               {rental_id}, [](const sql_row&) {}) > 0;
}

std::vector<provision_op> lease_due_ops(vrnum::write_txn& txn, vrnum::unix_ms now,
                                        vrnum::unix_ms lease_until, std::size_t limit) {
    std::vector<provision_op> out;
    txn.query(std::string(op_columns) +
                  "WHERE state = 'pending' AND lease_until <= ?1 ORDER BY lease_until LIMIT ?2",
              {now, static_cast<std::int64_t>(limit)},
              [&](const sql_row& r) { out.push_back(op_of(r)); });
    for (const auto& op : out) {
        txn.exec("UPDATE provision_ops SET lease_until = ?1, updated_at = ?2 WHERE id = ?3",
                 {lease_until, now, op.id});
    }
    return out;
}

void settle_op(vrnum::write_txn& txn, std::int64_t id, bool done, vrnum::unix_ms now) {
    txn.exec(
        "UPDATE provision_ops SET state = ?1, updated_at = ?2 WHERE id = ?3 AND state = 'pending'",
        {std::string_view(done ? "done" : "refused"), now, id});
}

void retry_op(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms retry_at) {
    txn.exec(
        "UPDATE provision_ops SET attempts = attempts + 1, lease_until = ?1 "
        "WHERE id = ?2 AND state = 'pending'",
        {retry_at, id});
}

bool op_pending(vrnum::read_txn& txn, std::int64_t id) {
    bool pending = false;
    txn.query("SELECT state = 'pending' FROM provision_ops WHERE id = ?1", {id},
              [&](const sql_row& r) { pending = r.get_int(0) != 0; });
    return pending;
}

void count_rental(vrnum::write_txn& txn, const std::string& country, bool renewal,
                  vrnum::unix_ms now) {
    std::string day = mail::day_text(now);
    txn.exec(renewal ? "INSERT INTO rental_stats (day, country, renewals) VALUES (?1, ?2, 1) "
                       "ON CONFLICT (day, country) DO UPDATE SET renewals = renewals + 1"
                     : "INSERT INTO rental_stats (day, country, rentals) VALUES (?1, ?2, 1) "
                       "ON CONFLICT (day, country) DO UPDATE SET rentals = rentals + 1",
             {std::string_view(day), std::string_view(country)});
}

std::vector<daily_rentals> rental_stats(vrnum::read_txn& txn, const std::string& since_day) {
    std::vector<daily_rentals> out;
    txn.query(
        "SELECT day, country, rentals, renewals FROM rental_stats WHERE day >= ?1 "
        "ORDER BY day, country",
        {std::string_view(since_day)}, [&](const sql_row& r) {
            out.push_back({r.get_text(0), r.get_text(1), r.get_int(2), r.get_int(3)});
        });
    return out;
}

void forget_rentals(vrnum::write_txn& txn, std::int64_t account_id, vrnum::unix_ms available_at,
                    vrnum::unix_ms now) {
    std::vector<std::int64_t> active;
    txn.query("SELECT id FROM rentals WHERE account_id = ?1 AND state = 'active'", {account_id},
              [&](const sql_row& r) { active.push_back(r.get_int(0)); });
    for (auto id : active) {
        end_rental(txn, id, available_at, now);
    }
    // A pending allocation is settled by the recovery job; its refund goes to a wallet with
    // no owner, and a number it brings is released.
    txn.exec("UPDATE rentals SET account_id = NULL WHERE account_id = ?1", {account_id});
    txn.exec("DELETE FROM rental_orders WHERE account_id = ?1", {account_id});
}

}  // namespace vrnumd::numbers
