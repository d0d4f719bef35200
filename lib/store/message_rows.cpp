// Stored messages read and deleted inside another component's transaction.

#include <stdexcept>

#include <vrnum/store.hpp>
#include <vrnum/write_txn.hpp>

namespace vrnum {

std::optional<stored_message> read_message(read_txn& txn, std::int64_t id) {
    std::optional<stored_message> out;
    txn.query(
        "SELECT source, provider_id, sender, recipient, body, sent_at, received_at, partial "
        "FROM messages WHERE id = ?1",
        {id}, [&](const sql_row& r) {
            auto from = txn.open(r.get_blob(2), id, "sender");
            auto text = txn.open(r.get_blob(4), id, "body");
            if (!from || !text) {
                throw std::runtime_error("message " + std::to_string(id) +
                                         " cannot be opened with the configured key");
            }
            stored_message m;
            m.id = id;
            m.source = r.get_text(0);
            m.provider_id = r.get_text(1);
            m.from = std::move(*from);
            m.to = r.get_text(3);
            m.text = std::move(*text);
            if (!r.is_null(5)) {
                m.sent_at = r.get_int(5);
            }
            m.received_at = r.get_int(6);
            m.partial = r.get_int(7) != 0;
            out = std::move(m);
        });
    return out;
}

bool delete_message(write_txn& txn, std::int64_t id, message_deletion how) {
    if (txn.query("SELECT 1 FROM messages WHERE id = ?1", {id}, [](const sql_row&) {}) == 0) {
        return false;
    }
    txn.exec("DELETE FROM message_parts WHERE message_id = ?1", {id});
    if (how == message_deletion::row) {
        txn.exec("DELETE FROM messages WHERE id = ?1", {id});
        return true;
    }
    // The row stays, emptied: its id is never handed out again (a stream's Last-Event-ID
    // stays in order) and a provider's retry is still known as a duplicate. secure_delete
    // zeroes what the old cells held; the retention purge removes the row.
    const std::string sender = txn.seal("", id, "sender");
    const std::string body = txn.seal("", id, "body");
    txn.exec("UPDATE messages SET sender = ?1, body = ?2 WHERE id = ?3",
             {blob{sender}, blob{body}, id});
    return true;
}

}  // namespace vrnum
