#include "store/migrations.hpp"

#include <algorithm>
#include <chrono>
#include <stdexcept>

namespace vrnum::detail {

const std::vector<migration>& gateway_migrations() {
    // Sender and text are sealed (AES-256-GCM, the row id bound in); the recipient stays
    // clear because routing looks it up. (source, provider_id) makes retries idempotent.
    static const std::vector<migration> list = {
        {"gateway", 1, R"sql(
CREATE TABLE messages (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    provider_id TEXT    NOT NULL,
    sender      BLOB    NOT NULL,
    recipient   TEXT    NOT NULL,
    body        BLOB    NOT NULL,
    sent_at     INTEGER,
    received_at INTEGER NOT NULL,
    UNIQUE (source, provider_id)
);
CREATE INDEX messages_received_at ON messages (received_at);
CREATE INDEX messages_recipient ON messages (recipient, id);
)sql"},
        // Every append wrote a leaf of this index at a place set by its number, about one more
        // page of WAL per message; look-ups by number belong to the routing tables (a filter by
        // recipient scans in id order, for the operator's `messages list --to`).
        {"gateway", 2, "DROP INDEX IF EXISTS messages_recipient"},
        // Ids grow with arrival, so the purge walks the table in id order instead; the index
        // cost another WAL page and a third b-tree insert per commit.
        {"gateway", 3, "DROP INDEX IF EXISTS messages_received_at"},
        // Parts of a multipart SMS, each durable before its answer, until their group is
        // joined into a message (message_id). Sealed like messages, under column names of
        // their own. A group is its first part's id (group_id): a sender's ref is a small
        // number that comes round again. The partial indexes hold only the open parts (few);
        // the parts of a joined message go with it (purge, an account's erasure).
        {"gateway", 4, R"sql(
CREATE TABLE message_parts (
    id          INTEGER PRIMARY KEY,
    source      TEXT    NOT NULL,
    provider_id TEXT    NOT NULL,
    ref         TEXT    NOT NULL,
    group_id    INTEGER NOT NULL,
    sender      BLOB    NOT NULL,
    recipient   TEXT    NOT NULL,
    total       INTEGER NOT NULL,
    number      INTEGER NOT NULL,
    body        BLOB    NOT NULL,
    sent_at     INTEGER,
    received_at INTEGER NOT NULL,
    deadline    INTEGER NOT NULL,
    message_id  INTEGER REFERENCES messages (id) ON DELETE CASCADE,
    UNIQUE (source, provider_id)
);
CREATE INDEX message_parts_open ON message_parts (source, recipient, ref)
    WHERE message_id IS NULL;
CREATE INDEX message_parts_deadline ON message_parts (deadline) WHERE message_id IS NULL;
CREATE INDEX message_parts_group ON message_parts (group_id);
CREATE INDEX message_parts_message ON message_parts (message_id) WHERE message_id IS NOT NULL;
ALTER TABLE messages ADD COLUMN partial INTEGER NOT NULL DEFAULT 0;
)sql"},
    };
    return list;
}

int apply_migrations(connection& db, std::vector<migration> all) {
    db.exec(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " component TEXT NOT NULL, version INTEGER NOT NULL, applied_at INTEGER NOT NULL,"
        " PRIMARY KEY (component, version))");
    std::stable_sort(all.begin(), all.end(), [](const migration& a, const migration& b) {
        return a.component != b.component ? a.component < b.component : a.version < b.version;
    });
    for (std::size_t i = 0; i < all.size(); ++i) {
        bool first_of_component = i == 0 || all[i - 1].component != all[i].component;
        int expected = first_of_component ? 1 : all[i - 1].version + 1;
        if (all[i].version != expected) {
            throw std::runtime_error("migrations of '" + all[i].component +
                                     "' must be numbered 1, 2, 3, ...; found " +
                                     std::to_string(all[i].version));
        }
    }
    int applied = 0;
    statement done(db, "SELECT 1 FROM schema_migrations WHERE component = ?1 AND version = ?2");
    statement record(db,
                     "INSERT INTO schema_migrations (component, version, applied_at) "
                     "VALUES (?1, ?2, ?3)");
    for (const migration& m : all) {
        db.exec("BEGIN IMMEDIATE");
        try {
            // Checked inside the transaction: another process may have just applied it.
            done.bind(1, m.component).bind(2, std::int64_t{m.version});
            bool present = done.step();
            done.reset();
            if (!present) {
                db.exec(m.sql);
                auto now = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
                record.bind(1, m.component).bind(2, std::int64_t{m.version}).bind(3, now);
                record.run();
                ++applied;
            }
            db.exec("COMMIT");
        } catch (...) {
            db.exec("ROLLBACK");
            throw;
        }
    }
    return applied;
}

}  // namespace vrnum::detail
