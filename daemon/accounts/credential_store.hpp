#pragma once
/// \file
/// Sessions and API keys: the credentials a request carries. Both are 256-bit random secrets
/// stored only as their SHA-256 (a copy of the database logs no one in). Functions run inside
/// a transaction the caller holds.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/message.hpp>
#include <vrnum/write_txn.hpp>

namespace vrnumd::accounts {

/// A new session: the cookie's value and the CSRF token (both secret; only the id is hashed).
struct new_session {
    std::string id;
    std::string csrf_token;
};

/// Starts a session for `account_id` ending at `expires_at` at the latest.
new_session create_session(vrnum::write_txn& txn, std::int64_t account_id, vrnum::unix_ms now,
                           vrnum::unix_ms expires_at);

/// A live session.
struct session_info {
    std::int64_t row = 0;  ///< the table's id: never shown, never a credential
    std::int64_t account_id = 0;
    std::string csrf_token;
    vrnum::unix_ms created_at = 0;
    vrnum::unix_ms last_seen_at = 0;
    vrnum::unix_ms expires_at = 0;
};

/// The session whose id is `id`, when it exists, has not passed `expires_at` and was seen
/// within `idle_ms` of `now`.
std::optional<session_info> find_session(vrnum::read_txn& txn, std::string_view id,
                                         vrnum::unix_ms now, std::int64_t idle_ms);
/// Records a request on the session at `now`.
void touch_session(vrnum::write_txn& txn, std::int64_t row, vrnum::unix_ms now);
/// Ends the session `row`.
void end_session(vrnum::write_txn& txn, std::int64_t row);
/// Ends every session of the account but `keep` (0 = every one); returns how many ended.
std::int64_t end_sessions(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t keep = 0);
/// Deletes sessions past their absolute end or idle for `idle_ms` at `now`.
std::int64_t purge_expired_sessions(vrnum::write_txn& txn, vrnum::unix_ms now,
                                    std::int64_t idle_ms);

/// An API key as listed (never the key itself).
struct api_key_info {
    std::int64_t id = 0;
    std::string name;
    std::string prefix;  ///< the key's first characters, to tell keys apart
    vrnum::unix_ms created_at = 0;
    std::optional<vrnum::unix_ms> last_used_at;
};

/// Longest API key name, in bytes.
inline constexpr std::size_t max_api_key_name = 100;
/// Most API keys one account may hold.
inline constexpr std::size_t max_api_keys = 50;

/// Creates a key; returns its id and the key (shown once).
std::pair<std::int64_t, std::string> create_api_key(vrnum::write_txn& txn, std::int64_t account_id,
                                                    std::string_view name, vrnum::unix_ms now);
/// Revokes every key of the account; returns how many.
std::int64_t revoke_api_keys(vrnum::write_txn& txn, std::int64_t account_id);
/// The account's keys, oldest first.
std::vector<api_key_info> list_api_keys(vrnum::read_txn& txn, std::int64_t account_id);
/// Revokes the account's key `id`; false when the account has no such key.
bool revoke_api_key(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id);
/// A live key, as a request presents it.
struct api_key_use {
    std::int64_t id = 0;
    std::int64_t account_id = 0;
    vrnum::unix_ms last_used_at = 0;  ///< 0 when never used
};
/// The key `key`, if it is a live one.
std::optional<api_key_use> find_api_key(vrnum::read_txn& txn, std::string_view key);
/// Records a request made with key `id` at `now`.
void touch_api_key(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms now);

/// The prefix every API key starts with, so that secret scanners can find leaked ones.
inline constexpr std::string_view api_key_prefix = "vrnum_";

}  // namespace vrnumd::accounts
