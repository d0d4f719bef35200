#pragma once
/// \file
/// Numbers, rentals and their bookkeeping (component `numbers`): the numbers vrnumd holds
/// (from `numbers.pool`, or allocated by a provisioning API), who rents which until when,
/// the `Idempotency-Key`s of rental orders, the provisioning calls still to settle, and the
/// inbox that routes each SMS to the renter of its `to` number. Functions run inside a
/// transaction the caller holds; times are Unix milliseconds.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

#include "config/daemon_config.hpp"

namespace vrnumd::numbers {

/// The component's schema migrations.
std::vector<vrnum::migration> migrations();

/// Adds the pool's numbers that are new (free) and retires free numbers no longer in it.
void sync_pool(vrnum::write_txn& txn, const std::vector<pool_number>& pool, vrnum::unix_ms now);
/// How many numbers of `country` are free to rent now.
std::int64_t free_count(vrnum::read_txn& txn, const std::string& country, vrnum::unix_ms now);
/// Takes a free number of `country` (state `rented`); its id, or nullopt when none is free.
std::optional<std::int64_t> take_free_number(vrnum::write_txn& txn, const std::string& country,
                                             vrnum::unix_ms now);
/// Records a number a provisioning API allocated (state `rented`); its id.
std::int64_t add_allocated_number(vrnum::write_txn& txn, const std::string& number,
                                  const std::string& country, const std::string& ref,
                                  vrnum::unix_ms now);

/// A rental as its owner and the jobs see it.
struct rental {
    std::int64_t id = 0;
    std::optional<std::int64_t> account_id;  ///< nullopt once the account is erased
    std::optional<std::int64_t> number_id;   ///< nullopt while an allocation is pending
    std::string number;                      ///< empty while pending
    std::string country;
    std::string provider_ref;  ///< the provisioning API's ref (http)
    unsigned days = 0;
    std::int64_t price_minor = 0;
    std::string state;  ///< pending, active, ended, failed
    std::optional<vrnum::unix_ms> expires_at;
    bool auto_renew = false;
    std::optional<unsigned> warned_days;  ///< the last expiry warning sent for this expiry
    std::optional<vrnum::unix_ms> renew_failed_for;   ///< the expiry a failure mail was sent for
    std::optional<vrnum::unix_ms> renew_refused_for;  ///< the expiry the API refused to renew
    vrnum::unix_ms created_at = 0;
};

/// A new rental: `active` with `number_id` (pool), or `pending` without (an allocation to
/// come). Returns its id.
std::int64_t add_rental(vrnum::write_txn& txn, std::int64_t account_id,
                        std::optional<std::int64_t> number_id, const std::string& country,
                        unsigned days, std::int64_t price_minor, bool auto_renew,
                        std::optional<vrnum::unix_ms> expires_at, vrnum::unix_ms now);
/// Completes a pending rental with its allocated number.
void activate_rental(vrnum::write_txn& txn, std::int64_t id, std::int64_t number_id,
                     vrnum::unix_ms expires_at);
/// Marks a pending rental failed (nothing was allocated).
void fail_rental(vrnum::write_txn& txn, std::int64_t id);
/// Moves an active rental's expiry (a renewal); clears its warnings. False when the rental is
/// not active (any more).
bool extend_rental(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at);
/// Sets auto-renewal of account `account_id`'s rental `id`; false when it is not theirs.
bool set_auto_renew(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id, bool on);
/// Records the expiry warning sent `days` before expiry.
void mark_warned(vrnum::write_txn& txn, std::int64_t id, unsigned days);
/// Records that the auto-renewal failure mail for the current expiry went out.
void mark_renew_failed(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at);
/// Records that the provisioning API refused to renew it for the current expiry: auto-renewal
/// does not try again before the next one.
void mark_renew_refused(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms expires_at);
/// Ends an active rental; its number goes into quarantine until `available_at`.
void end_rental(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms available_at,
                vrnum::unix_ms now);

/// Rental `id` (any owner), or of `account_id` only when given.
std::optional<rental> find_rental(vrnum::read_txn& txn, std::int64_t id,
                                  std::optional<std::int64_t> account_id = std::nullopt);
/// The account's rentals, newest first, ids below `before` (0 = from the newest).
std::vector<rental> list_rentals(vrnum::read_txn& txn, std::int64_t account_id, std::int64_t before,
                                 std::size_t limit);
/// Active rentals expiring before `until`, soonest first (the jobs' work list).
std::vector<rental> rentals_expiring(vrnum::read_txn& txn, vrnum::unix_ms until, std::size_t limit);
/// Numbers whose quarantine is over at `now`: (number id, origin, provider ref).
struct quarantined {
    std::int64_t id = 0;
    std::string number;
    std::string origin;  ///< pool or http
    std::string ref;
};
std::vector<quarantined> quarantine_over(vrnum::read_txn& txn, vrnum::unix_ms now,
                                         std::size_t limit);
/// What becomes of a number after its quarantine.
enum class after_quarantine {
    free,       ///< a pool number: rentable again
    retired,    ///< a pool number no longer in `numbers.pool`
    releasing,  ///< an http number, until the API took it back
};
void number_back(vrnum::write_txn& txn, std::int64_t number_id, after_quarantine next);
/// The API took an http number back.
void number_released(vrnum::write_txn& txn, std::int64_t number_id);

/// An `Idempotency-Key` of a rental order, as stored.
struct idempotent_order {
    std::string request_hash;
    std::optional<std::int64_t> rental_id;
    unsigned status = 0;  ///< 0 while the order is in progress
    std::string body;     ///< the answer's body once final
};
std::optional<idempotent_order> find_order(vrnum::read_txn& txn, std::int64_t account_id,
                                           const std::string& key);
/// The account's orders (for its export).
struct order_row {
    std::string key;
    std::optional<std::int64_t> rental_id;
    unsigned status = 0;
    vrnum::unix_ms created_at = 0;
};
std::vector<order_row> list_orders(vrnum::read_txn& txn, std::int64_t account_id);
/// Records a new order (in progress, or with its final answer when `status` is set).
void add_order(vrnum::write_txn& txn, std::int64_t account_id, const std::string& key,
               const std::string& request_hash, std::optional<std::int64_t> rental_id,
               unsigned status, const std::string& body, vrnum::unix_ms now);
/// Records the final answer of the order for `rental_id`.
void finish_order(vrnum::write_txn& txn, std::int64_t rental_id, unsigned status,
                  const std::string& body);
/// Forgets keys older than `before`; how many.
std::int64_t purge_orders(vrnum::write_txn& txn, vrnum::unix_ms before);

/// A call to the provisioning API that has not settled: reserved before it was made, retried
/// by the recovery job while it neither succeeds nor is refused.
struct provision_op {
    std::int64_t id = 0;
    std::string kind;  ///< allocate, renew, release
    std::optional<std::int64_t> rental_id;
    std::optional<std::int64_t> number_id;
    std::string ref;  ///< the API's ref of the number (renew, release), as when it was made
    unsigned days = 0;
    std::int64_t amount_minor = 0;  ///< what was charged for it (refunded when refused)
    int attempts = 0;
};
/// Records call `op` (its `id` ignored) about to be made, leased to its caller until
/// `lease_until`; its id.
std::int64_t add_op(vrnum::write_txn& txn, const provision_op& op, vrnum::unix_ms lease_until,
                    vrnum::unix_ms now);
/// Whether a renewal of rental `rental_id` is still being provisioned.
bool renewal_pending(vrnum::read_txn& txn, std::int64_t rental_id);
/// Calls whose lease ran out by `now` (their caller gave up or died), oldest first; each is
/// leased again until `lease_until` for the job that retries it.
std::vector<provision_op> lease_due_ops(vrnum::write_txn& txn, vrnum::unix_ms now,
                                        vrnum::unix_ms lease_until, std::size_t limit);
/// The call settled (done or refused): it is not retried.
void settle_op(vrnum::write_txn& txn, std::int64_t id, bool done, vrnum::unix_ms now);
/// The call did not settle: its lease is moved to `retry_at` and its attempts counted.
void retry_op(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms retry_at);
/// Whether call `id` is still pending.
bool op_pending(vrnum::read_txn& txn, std::int64_t id);

/// Aggregate rentals per day and country (no account ids).
struct daily_rentals {
    std::string day;  ///< YYYY-MM-DD (UTC)
    std::string country;
    std::int64_t rentals = 0;
    std::int64_t renewals = 0;
};
/// Counts a rental (`renewal` false) or a renewal of `country` on the day of `now`.
void count_rental(vrnum::write_txn& txn, const std::string& country, bool renewal,
                  vrnum::unix_ms now);
/// The daily figures from `since_day` (YYYY-MM-DD) on, oldest first.
std::vector<daily_rentals> rental_stats(vrnum::read_txn& txn, const std::string& since_day);

/// Erasure: ends the account's rentals (their numbers to quarantine) and keeps them without
/// their owner.
void forget_rentals(vrnum::write_txn& txn, std::int64_t account_id, vrnum::unix_ms available_at,
                    vrnum::unix_ms now);

}  // namespace vrnumd::numbers
