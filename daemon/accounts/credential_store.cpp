#include "accounts/credential_store.hpp"

#include "accounts/secrets.hpp"

namespace vrnumd::accounts {

new_session create_session(vrnum::write_txn& txn, std::int64_t account_id, vrnum::unix_ms now,
                           vrnum::unix_ms expires_at) {
    new_session s{random_secret(), random_secret()};
    std::string hash = secret_hash(s.id);
    txn.exec(
        "INSERT INTO sessions (token_hash, account_id, csrf_token, created_at, last_seen_at, "
        "expires_at) VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        {vrnum::blob{hash}, account_id, std::string_view(s.csrf_token), now, expires_at});
    return s;
}

std::optional<session_info> find_session(vrnum::read_txn& txn, std::string_view id,
                                         vrnum::unix_ms now, std::int64_t idle_ms) {
    std::string hash = secret_hash(id);
    std::optional<session_info> found;
    txn.query(
        "SELECT id, account_id, csrf_token, created_at, last_seen_at, expires_at "
        "FROM sessions WHERE token_hash = ?1",
        {vrnum::blob{hash}}, [&](const vrnum::sql_row& r) {
            session_info s{r.get_int(0), r.get_int(1), r.get_text(2),
                           r.get_int(3), r.get_int(4), r.get_int(5)};
            if (now < s.expires_at && now - s.last_seen_at < idle_ms) {
                found = std::move(s);
            }
        });
    return found;
}

void touch_session(vrnum::write_txn& txn, std::int64_t row, vrnum::unix_ms now) {
    txn.exec("UPDATE sessions SET last_seen_at = max(last_seen_at, ?1) WHERE id = ?2", {now, row});
}

void end_session(vrnum::write_txn& txn, std::int64_t row) {
    txn.exec("DELETE FROM sessions WHERE id = ?1", {row});
}

std::int64_t end_sessions(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t keep) {
    return txn.exec("DELETE FROM sessions WHERE account_id = ?1 AND id <> ?2", {account_id, keep});
}

std::int64_t purge_expired_sessions(vrnum::write_txn& txn, vrnum::unix_ms now,
                                    std::int64_t idle_ms) {
    return txn.exec("DELETE FROM sessions WHERE expires_at <= ?1 OR last_seen_at <= ?1 - ?2",
                    {now, idle_ms});
}

std::pair<std::int64_t, std::string> create_api_key(vrnum::write_txn& txn, std::int64_t account_id,
                                                    std::string_view name, vrnum::unix_ms now) {
    std::string key = std::string(api_key_prefix) + random_secret();
    std::string hash = secret_hash(key);
    std::string_view prefix = std::string_view(key).substr(0, api_key_prefix.size() + 6);
    txn.exec(
        "INSERT INTO api_keys (key_hash, account_id, name, prefix, created_at) "
        "VALUES (?1, ?2, ?3, ?4, ?5)",
        {vrnum::blob{hash}, account_id, name, prefix, now});
    return {txn.last_insert_id(), std::move(key)};
}

std::vector<api_key_info> list_api_keys(vrnum::read_txn& txn, std::int64_t account_id) {
    std::vector<api_key_info> keys;
    txn.query(
        "SELECT id, name, prefix, created_at, last_used_at FROM api_keys "
        "WHERE account_id = ?1 ORDER BY id",
        {account_id}, [&](const vrnum::sql_row& r) {
            api_key_info k{r.get_int(0), r.get_text(1), r.get_text(2), r.get_int(3), {}};
            if (!r.is_null(4)) {
                k.last_used_at = r.get_int(4);
            }
            keys.push_back(std::move(k));
        });
    return keys;
}

bool revoke_api_key(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id) {
    return txn.exec("DELETE FROM api_keys WHERE id = ?1 AND account_id = ?2", {id, account_id}) ==
           1;
}

std::int64_t revoke_api_keys(vrnum::write_txn& txn, std::int64_t account_id) {
    return txn.exec("DELETE FROM api_keys WHERE account_id = ?1", {account_id});
}

std::optional<api_key_use> find_api_key(vrnum::read_txn& txn, std::string_view key) {
    std::optional<api_key_use> found;
    if (!key.starts_with(api_key_prefix)) {
        return found;
    }
    std::string hash = secret_hash(key);
    txn.query(
        "SELECT id, account_id, coalesce(last_used_at, 0) FROM api_keys "
        "WHERE key_hash = ?1",
        {vrnum::blob{hash}}, [&](const vrnum::sql_row& r) {
            found = api_key_use{r.get_int(0), r.get_int(1), r.get_int(2)};
        });
    return found;
}

void touch_api_key(vrnum::write_txn& txn, std::int64_t id, vrnum::unix_ms now) {
    txn.exec("UPDATE api_keys SET last_used_at = ?1 WHERE id = ?2", {now, id});
}

}  // namespace vrnumd::accounts
