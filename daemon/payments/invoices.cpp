#include "payments/invoices.hpp"

#include <stdexcept>

#include <openssl/rand.h>

#include "crypto/encoding.hpp"

namespace vrnumd::payments {

std::vector<vrnum::migration> migrations() {
    // status: creating (reserved; Cryptomus not asked yet), failed, or Cryptomus's own
    // (check, paid, paid_over, wrong_amount, cancel, fail, ...). account_id: NULL once the
    // account is erased; the invoice stays in the books for retention.transaction_years.
    return {{"payments", 1, R"(
CREATE TABLE invoices (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  account_id INTEGER,
  order_id TEXT NOT NULL UNIQUE,
  amount_minor INTEGER NOT NULL CHECK (amount_minor > 0),
  currency TEXT NOT NULL DEFAULT 'USD',
  status TEXT NOT NULL DEFAULT 'creating',
  cryptomus_uuid TEXT UNIQUE,
  payment_url TEXT,
  paid_minor INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX invoices_account ON invoices(account_id, id);
)"},
            // credited_at: when the wallet was credited; set once, which is what makes a
            // repeated or concurrent paid webhook credit only once.
            {"payments", 2, R"(
ALTER TABLE invoices ADD COLUMN credited_at INTEGER;
CREATE INDEX invoices_creating ON invoices(created_at) WHERE status = 'creating';
)"}};
}

reserved_invoice reserve_invoice(vrnum::write_txn& txn, std::int64_t account_id,
                                 std::int64_t amount_minor, vrnum::unix_ms now) {
    unsigned char raw[16];
    if (RAND_bytes(raw, sizeof raw) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    reserved_invoice r;
    r.order_id =
        vrnum::detail::encode_hex(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
    txn.exec(
        "INSERT INTO invoices (account_id, order_id, amount_minor, created_at, updated_at) "
        "VALUES (?1, ?2, ?3, ?4, ?4)",
        {account_id, std::string_view(r.order_id), amount_minor, now});
    r.id = txn.last_insert_id();
    return r;
}

void invoice_created(vrnum::write_txn& txn, std::int64_t id, const std::string& uuid,
                     const std::string& payment_url, vrnum::unix_ms now) {
    txn.exec(
        "UPDATE invoices SET status = 'check', cryptomus_uuid = ?1, payment_url = ?2, "
        "updated_at = ?3 WHERE id = ?4 AND status = 'creating'",
        {std::string_view(uuid), std::string_view(payment_url), now, id});
}

void invoice_failed(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms now) {
    txn.exec(
        "UPDATE invoices SET status = 'failed', updated_at = ?1 "
        "WHERE id = ?2 AND status = 'creating'",
        {now, id});
}

namespace {

constexpr const char* state_columns =
    "SELECT id, account_id, order_id, amount_minor, status, coalesce(cryptomus_uuid, ''), "
    "credited_at IS NOT NULL FROM invoices ";

invoice_state state_of(const vrnum::sql_row& r) {
    invoice_state s;
    s.id = r.get_int(0);
    if (!r.is_null(1)) {
        s.account_id = r.get_int(1);
    }
    s.order_id = r.get_text(2);
    s.amount_minor = r.get_int(3);
    s.status = r.get_text(4);
    s.uuid = r.get_text(5);
    s.credited = r.get_int(6) != 0;
    return s;
}

}  // namespace

std::optional<invoice_state> find_invoice(vrnum::read_txn& txn, const std::string& order_id) {
    std::optional<invoice_state> out;
    txn.query(std::string(state_columns) + "WHERE order_id = ?1", {std::string_view(order_id)},
              [&](const vrnum::sql_row& r) { out = state_of(r); });
    return out;
}

std::vector<invoice_state> unsettled_invoices(vrnum::read_txn& txn, vrnum::unix_ms before,
                                              std::size_t limit) {
    std::vector<invoice_state> out;
    txn.query(std::string(state_columns) +
                  "WHERE status = 'creating' AND created_at < ?1 ORDER BY created_at LIMIT ?2",
              {before, static_cast<std::int64_t>(limit)},
              [&](const vrnum::sql_row& r) { out.push_back(state_of(r)); });
    return out;
}

void set_invoice_status(vrnum::write_txn& txn, std::int64_t id, const std::string& status,
                        const std::string& uuid, vrnum::unix_ms now) {
    txn.exec(
        "UPDATE invoices SET status = ?1, cryptomus_uuid = coalesce(cryptomus_uuid, ?2), "
        "updated_at = ?3 WHERE id = ?4",
        {std::string_view(status), std::string_view(uuid), now, id});
}

bool mark_credited(vrnum::write_txn& txn, std::int64_t id, std::int64_t paid_minor,
                   vrnum::unix_ms now) {
    return txn.exec(
               "UPDATE invoices SET paid_minor = ?1, credited_at = ?2, updated_at = ?2 "
               "WHERE id = ?3 AND credited_at IS NULL",
               {paid_minor, now, id}) == 1;
}

std::vector<invoice_row> list_invoices(vrnum::read_txn& txn, std::int64_t account_id,
                                       std::int64_t before, std::size_t limit) {
    std::vector<invoice_row> out;
    txn.query(
        "SELECT id, amount_minor, status, created_at, paid_minor FROM invoices "
        "WHERE account_id = ?1 AND (?2 = 0 OR id < ?2) ORDER BY id DESC LIMIT ?3",
        {account_id, before, static_cast<std::int64_t>(limit)}, [&](const vrnum::sql_row& r) {
            out.push_back({r.get_int(0), r.get_int(1), r.get_text(2), r.get_int(3), r.get_int(4)});
        });
    return out;
}

void pseudonymise_invoices(vrnum::write_txn& txn, std::int64_t account_id) {
    txn.exec("UPDATE invoices SET account_id = NULL WHERE account_id = ?1", {account_id});
}

}  // namespace vrnumd::payments
