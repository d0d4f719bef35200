#pragma once
/// \file
/// The accounts component's tables (component `accounts`) and the statements on accounts and
/// their single-use link tokens. The email is sealed (AES-256-GCM, the row id bound in) and
/// found through its blind index; attribution and a pending new email are sealed too. Link
/// tokens are stored as their SHA-256 only. Functions run inside a transaction the caller
/// holds (`vrnum::store::write` / `read`); none of them is slow.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

namespace vrnumd::accounts {

/// The component's schema migrations (accounts, sessions, link tokens, API keys).
std::vector<vrnum::migration> migrations();
/// The sealed columns of `accounts`, for the store's key handling.
vrnum::sealed_table sealed_columns();

/// What sign-up kept of the first visit (SPEC §5); an empty value is absent.
struct attribution {
    std::string utm_source, utm_medium, utm_campaign, utm_term, utm_content, referrer_host;
    bool empty() const noexcept {
        return utm_source.empty() && utm_medium.empty() && utm_campaign.empty() &&
               utm_term.empty() && utm_content.empty() && referrer_host.empty();
    }
};

/// One account, opened.
struct account {
    std::int64_t id = 0;
    std::string email;
    std::string password_hash;
    bool email_confirmed = false;
    vrnum::unix_ms created_at = 0;
    bool marketing_opt_in = false;
    std::optional<attribution> attribution_data;
    bool attribution_objection = false;
    std::optional<vrnum::unix_ms> deletion_requested_at;
    std::optional<std::string> pending_email;  ///< an email change awaiting confirmation
};

/// The form an address is compared and stored in: trimmed, lower-case.
std::string normalise_email(std::string_view email);

/// Creates an unconfirmed account; nullopt when the address is taken.
std::optional<std::int64_t> create_account(vrnum::write_txn& txn, std::string_view email,
                                           std::string_view password_hash,
                                           const std::optional<attribution>& attr,
                                           vrnum::unix_ms now);
/// The account with this address (normalised first), if any.
std::optional<account> find_account_by_email(vrnum::read_txn& txn, std::string_view email);
/// The account with this id, if any.
std::optional<account> load_account(vrnum::read_txn& txn, std::int64_t id);
/// Every account id, ascending (for notices to all); with `opted_in`, only the accounts that
/// agreed to marketing mail.
std::vector<std::int64_t> account_ids(vrnum::read_txn& txn, bool opted_in = false);

void set_email_confirmed(vrnum::write_txn& txn, std::int64_t id);
void set_password_hash(vrnum::write_txn& txn, std::int64_t id, std::string_view hash);
void set_marketing_opt_in(vrnum::write_txn& txn, std::int64_t id, bool on);
/// Records the objection (or its withdrawal); an objection erases the stored attribution.
void set_attribution_objection(vrnum::write_txn& txn, std::int64_t id, bool objects);
/// Keeps `email` as the address the account is changing to (sealed), replacing any other.
void set_pending_email(vrnum::write_txn& txn, std::int64_t id, std::string_view email);
/// Makes the pending address the account's own; false when there is none or another account
/// took that address meanwhile (the pending one is dropped either way).
bool apply_pending_email(vrnum::write_txn& txn, std::int64_t id);
/// Asks for erasure at `at` (kept when already asked; a fresh request drops any notice left
/// by an interrupted erasure); returns when it was asked.
vrnum::unix_ms schedule_deletion(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms at);
/// Withdraws the request; false (and nothing changes) once the erasure has begun, i.e. its
/// notice is queued: the customer would otherwise be told of a deletion that did not happen.
bool cancel_deletion(vrnum::write_txn& txn, std::int64_t id);
/// True when account `id` asked for erasure at or before `cutoff` (and has not withdrawn).
bool due_for_erasure(vrnum::read_txn& txn, std::int64_t id, vrnum::unix_ms cutoff);
/// The outbox id of the notice queued for the account's erasure, if one is.
std::optional<std::int64_t> erasure_notice(vrnum::read_txn& txn, std::int64_t id);
/// Records `mail_id` as the erasure's notice: every eraser (the daemon's job, `vrnumd purge`,
/// `accounts delete --now`) then waits for that one mail rather than queueing its own.
void set_erasure_notice(vrnum::write_txn& txn, std::int64_t id, std::int64_t mail_id);
/// Drops the account's pending email change and its link.
void clear_pending_email(vrnum::write_txn& txn, std::int64_t id);
/// Drops every account's pending change to `email` (an address being erased).
void forget_pending_address(vrnum::write_txn& txn, std::string_view email);
/// Accounts whose erasure was asked at or before `cutoff`.
std::vector<std::int64_t> accounts_due_for_erasure(vrnum::read_txn& txn, vrnum::unix_ms cutoff);
/// Deletes the account row and every row of this component that belongs to it.
void delete_account_rows(vrnum::write_txn& txn, std::int64_t id);

/// What a link token is for.
enum class token_purpose { confirm_email, reset_password, change_email };
/// Issues a single-use token for `purpose` valid until `expires_at`, replacing the account's
/// earlier one for the same purpose; returns the secret (only its hash is stored).
std::string issue_token(vrnum::write_txn& txn, std::int64_t account_id, token_purpose purpose,
                        vrnum::unix_ms now, vrnum::unix_ms expires_at);
/// A consumed token: whose, and for what.
struct token_use {
    std::int64_t account_id = 0;
    token_purpose purpose = token_purpose::confirm_email;
};
/// Deletes the token `secret` if it is one of `purposes` and returns its use; nullopt when
/// unknown, spent or expired at `now` (an expired one is deleted too).
std::optional<token_use> consume_token(vrnum::write_txn& txn, std::string_view secret,
                                       std::initializer_list<token_purpose> purposes,
                                       vrnum::unix_ms now);
/// The account of the live token `secret` for `purpose`, without spending it.
std::optional<std::int64_t> peek_token(vrnum::read_txn& txn, std::string_view secret,
                                       token_purpose purpose, vrnum::unix_ms now);
/// Deletes tokens expired at `now`; returns how many.
std::int64_t purge_expired_tokens(vrnum::write_txn& txn, vrnum::unix_ms now);

}  // namespace vrnumd::accounts
