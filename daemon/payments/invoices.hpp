#pragma once
/// \file
/// Top-up invoices (component `payments`): reserved here before Cryptomus is asked, then
/// completed with Cryptomus's invoice or marked failed. The order id Cryptomus sees is random
/// and opaque: never an account id. Functions run inside a transaction the caller holds.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

namespace vrnumd::payments {

/// The component's schema migrations.
std::vector<vrnum::migration> migrations();

/// A reserved invoice.
struct reserved_invoice {
    std::int64_t id = 0;
    std::string order_id;  ///< 32 random hex digits
};
/// Reserves an invoice of `amount_minor` cents for `account_id` (status `creating`).
reserved_invoice reserve_invoice(vrnum::write_txn& txn, std::int64_t account_id,
                                 std::int64_t amount_minor, vrnum::unix_ms now);
/// Completes it with Cryptomus's invoice (status `check`, awaiting payment); from `creating`
/// only.
void invoice_created(vrnum::write_txn& txn, std::int64_t id, const std::string& uuid,
                     const std::string& payment_url, vrnum::unix_ms now);
/// Marks it failed (Cryptomus could not be asked, or refused).
void invoice_failed(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms now);

/// An invoice as the webhook and the recovery job see it.
struct invoice_state {
    std::int64_t id = 0;
    std::optional<std::int64_t> account_id;  ///< nullopt once the account is erased
    std::string order_id;
    std::int64_t amount_minor = 0;
    std::string status;
    std::string uuid;  ///< Cryptomus's, empty before it answered
    bool credited = false;
};
/// The invoice with our `order_id`.
std::optional<invoice_state> find_invoice(vrnum::read_txn& txn, const std::string& order_id);
/// Invoices still `creating` (Cryptomus's answer never recorded) created before `before`.
std::vector<invoice_state> unsettled_invoices(vrnum::read_txn& txn, vrnum::unix_ms before,
                                              std::size_t limit);
/// Sets an invoice's status (and its Cryptomus uuid when it had none).
void set_invoice_status(vrnum::write_txn& txn, std::int64_t id, const std::string& status,
                        const std::string& uuid, vrnum::unix_ms now);
/// Marks it credited with `paid_minor`; false when it already was (nothing changed).
bool mark_credited(vrnum::write_txn& txn, std::int64_t id, std::int64_t paid_minor,
                   vrnum::unix_ms now);

/// An invoice as the customer's list shows it.
struct invoice_row {
    std::int64_t id = 0;
    std::int64_t amount_minor = 0;
    std::string status;
    vrnum::unix_ms created_at = 0;
    std::int64_t paid_minor = 0;
};
/// The account's invoices, newest first, ids below `before` (0 = from the newest).
std::vector<invoice_row> list_invoices(vrnum::read_txn& txn, std::int64_t account_id,
                                       std::int64_t before, std::size_t limit);
/// Erasure: the invoices stay in the books without their owner.
void pseudonymise_invoices(vrnum::write_txn& txn, std::int64_t account_id);

}  // namespace vrnumd::payments
