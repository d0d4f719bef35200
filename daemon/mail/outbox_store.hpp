#pragma once
/// \file
/// The mail outbox's table and every statement on it (component `mail`). A row is written in
/// the same transaction as the event that causes it; the recipient and the content are sealed
/// (the row id bound in); a sent row keeps neither the content nor a clear address. Functions
/// run inside a transaction that the caller holds (`vrnum::store::write` / `read`).

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

#include "mail/templates.hpp"

namespace vrnumd::mail {

/// The component's schema migrations.
std::vector<vrnum::migration> migrations();
/// The component's sealed columns (recipient, content), for the store's key handling.
vrnum::sealed_table sealed_columns();

/// A new row.
struct new_mail {
    std::string to;                          ///< the recipient's address
    std::string template_name;               ///< for the log and the operator (never the content)
    rendered_mail content;                   ///< sealed in the row until it is sent
    std::optional<std::int64_t> account_id;  ///< the account it is erased with
};

/// A queued row, opened.
struct queued_mail {
    std::int64_t id = 0;
    std::string token;  ///< 32 random hex digits: the Message-ID's left part, the file's name
    std::string template_name;  ///< for the log
    std::string to;             ///< the recipient, opened
    rendered_mail content;      ///< opened
    int attempts = 0;           ///< attempts started before this one
    vrnum::unix_ms due = 0;     ///< `next_attempt_at` as read (the claim compares it)
    bool unreadable = false;    ///< the sealed columns do not open (a missing key)
};

/// How many rows are in each state.
struct outbox_counts {
    std::int64_t queued = 0;  ///< waiting or being sent
    std::int64_t sent = 0;    ///< sent (kept 30 days without content)
    std::int64_t dead = 0;    ///< given up (kept 30 days with their reason)
};

/// Inserts a queued row due at `now`; returns its id.
std::int64_t insert_mail(vrnum::write_txn& txn, const new_mail& m, vrnum::unix_ms now);
/// Queued rows due at or before `now`, oldest due first, at most `limit`.
std::vector<queued_mail> due_mail(vrnum::read_txn& txn, vrnum::unix_ms now, std::size_t limit);
/// Takes row `id` for one attempt: counts the attempt and moves its due time to `lease_until`
/// (a crash mid-send leaves it due again then). False when another worker took it first (its
/// due time is no longer `due`) or it is no longer queued.
bool claim_mail(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms due,
                vrnum::unix_ms lease_until);
/// The attempt a worker holds on a row: what `claim_mail` made of it. Its results apply only
/// while the row is still that attempt's (not erased, not re-queued, not taken by another).
struct mail_claim {
    std::int64_t id = 0;  ///< the row
    std::string token;    ///< the row's token, as read before the claim
    int attempts = 0;     ///< the row's attempt count after the claim
};
/// Marks the claimed row sent at `now` and drops its content; false when it is no longer
/// the claim's (erased meanwhile).
bool mark_sent(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms now);
/// Leaves the claimed row queued, due again at `next`, with `error` as its last error.
bool mark_retry(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms next,
                const std::string& error);
/// Marks the claimed row dead at `now` with `error` and drops its content.
bool mark_dead(vrnum::write_txn& txn, const mail_claim& c, vrnum::unix_ms now,
               const std::string& error);
/// Deletes every row of `account_id` and, when `address` is given, every row sent to it (found
/// by its blind index); returns their tokens (for the transport's files).
std::vector<std::string> erase_account_mail(vrnum::write_txn& txn, std::int64_t account_id,
                                            std::string_view address = {});
/// Deletes sent and dead rows finished before `before`; returns their tokens.
std::vector<std::string> purge_finished_mail(vrnum::write_txn& txn, vrnum::unix_ms before);
/// The token of every row.
std::set<std::string> all_mail_tokens(vrnum::read_txn& txn);
/// The counts by state.
outbox_counts count_mail(vrnum::read_txn& txn);

/// A row's state as the operator and the tests see it (no content, no address).
struct mail_status {
    std::int64_t id = 0;        ///< the row
    std::string token;          ///< the row's token (the file transport's file name)
    std::string template_name;  ///< which mail
    std::string status;         ///< queued | sent | dead
    int attempts = 0;           ///< attempts started
    std::string last_error;     ///< the last failure, addresses redacted; empty when none
    bool has_content = false;   ///< the sealed content is still in the row
};
/// Row `id`'s state, or nullopt.
std::optional<mail_status> mail_state(vrnum::read_txn& txn, std::int64_t id);

/// One of an account's mails, as its export shows it (the recipient opened, no content).
struct account_mail_row {
    std::int64_t id = 0;
    std::string template_name;
    std::string status;
    std::string recipient;  ///< empty when it does not open
    vrnum::unix_ms created_at = 0;
    std::optional<vrnum::unix_ms> finished_at;
};
/// The account's mail rows, oldest first.
std::vector<account_mail_row> account_mail(vrnum::read_txn& txn, std::int64_t account_id);

}  // namespace vrnumd::mail
