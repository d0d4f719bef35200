// The parts of multipart SMS in the store: each part a durable row of `message_parts`, joined
// into one message of `messages` by the append that completes its group, or as a partial
// message by `join_expired_parts` once the group's deadline has passed. Writer thread only.

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <boost/system/system_error.hpp>

#include <vrnum/error.hpp>

#include "log/json_log.hpp"
#include "store/sqlite_store.hpp"

namespace vrnum::detail {
namespace {

constexpr std::string_view find_part_sql =
    "SELECT id, message_id FROM message_parts WHERE source = ?1 AND provider_id = ?2";
// The open parts a new part may belong with; the sender is sealed, so it is compared once
// opened (a blind index would change with every key rotation).
// How many open parts under one (source, recipient, ref, total) a new part is compared with.
constexpr std::int64_t max_open_parts_compared = 256;
constexpr std::string_view open_parts_sql =
    "SELECT id, group_id, number, sender FROM message_parts "
    "WHERE source = ?1 AND recipient = ?2 AND ref = ?3 AND message_id IS NULL AND total = ?4 "
    "ORDER BY id DESC LIMIT ?5";
constexpr std::string_view insert_part_sql =
    "INSERT INTO message_parts (id, source, provider_id, ref, group_id, sender, recipient, "
    "total, number, body, sent_at, received_at, deadline) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)";
constexpr std::string_view count_group_sql =
    "SELECT COUNT(*) FROM message_parts WHERE group_id = ?1";
constexpr std::string_view group_parts_sql =
    "SELECT id, source, provider_id, sender, recipient, body, sent_at, received_at, total "
    "FROM message_parts WHERE group_id = ?1 ORDER BY number";
constexpr std::string_view mark_group_sql =
    "UPDATE message_parts SET message_id = ?2 WHERE group_id = ?1";
// Through the index of open parts by deadline: the planner would rather walk every part in
// group order, joined ones included.
constexpr std::string_view expired_groups_sql =
    "SELECT DISTINCT group_id FROM message_parts INDEXED BY message_parts_deadline "
    "WHERE message_id IS NULL AND deadline <= ?1 AND group_id > ?2 ORDER BY group_id LIMIT ?3";

// Leaves a cached statement reset (bindings cleared) however its use ends.
struct reset_on_exit {
    statement& s;
    ~reset_on_exit() { s.reset(); }
};

std::string open_or_throw(const keyring& keys, const std::string& envelope, std::int64_t id,
                          std::string_view column) {
    auto plain = keys.open(envelope, id, column);
    if (!plain.has_value()) {
        throw std::runtime_error("message part " + std::to_string(id) +
                                 " cannot be opened with the configured key");
    }
    return std::move(*plain);
}

}  // namespace

append_result sqlite_store::insert_part(message& m) {
    const message_part& p = *m.part;
    if (p.number == 0 || p.number > p.total) {
        throw boost::system::system_error(make_error_code(errc::malformed),
                                          "a part's number is outside 1 to its total");
    }
    append_result r;
    {
        // A retry gets the first answer, with the joined message's id once there is one.
        statement& find = stmts_->get(find_part_sql);
        reset_on_exit guard{find};
        find.bind_view(1, m.source).bind_view(2, m.provider_id);
        if (find.step()) {
            r.part_id = find.column_int(0);
            r.id = find.column_is_null(1) ? 0 : find.column_int(1);
            r.duplicate = true;
            return r;
        }
    }
    const std::int64_t id = next_part_id_;
    // The open group of this sender that lacks this number and got a part most recently. A
    // group that has the number is an earlier message under the same ref (refs come round);
    // preferring the latest keeps a message whose part was lost from swallowing a part of the
    // next one under its ref. Only the newest open parts are looked at (each is opened to
    // compare its sealed sender): a flood of parts under one ref costs a bounded amount per
    // part, and a part beyond them becomes a group of its own (partial at its deadline).
    std::int64_t group = 0;
    {
        statement& open = stmts_->get(open_parts_sql);
        reset_on_exit guard{open};
        open.bind_view(1, m.source).bind_view(2, m.to).bind_view(3, p.ref);
        open.bind(4, std::int64_t{p.total}).bind(5, max_open_parts_compared);
        std::vector<std::int64_t> candidates;
        std::vector<std::int64_t> taken;
        while (open.step()) {
            const std::int64_t part = open.column_int(0);
            if (open_or_throw(*keys_, open.column_blob(3), part, part_sender_column) != m.from) {
                continue;
            }
            const std::int64_t g = open.column_int(1);
            if (std::find(candidates.begin(), candidates.end(), g) == candidates.end()) {
                candidates.push_back(g);
            }
            if (open.column_int(2) == std::int64_t{p.number}) {
                taken.push_back(g);
            }
        }
        for (std::int64_t g : candidates) {
            if (std::find(taken.begin(), taken.end(), g) == taken.end()) {
                group = g;
                break;
            }
        }
    }
    if (group == 0) {
        group = id;  // the first part of a new group names it
    }
    {
        const std::string sender = keys_->seal(m.from, id, part_sender_column);
        const std::string body = keys_->seal(m.text, id, part_body_column);
        statement& ins = stmts_->get(insert_part_sql);
        reset_on_exit guard{ins};
        ins.bind(1, id).bind_view(2, m.source).bind_view(3, m.provider_id).bind_view(4, p.ref);
        ins.bind(5, group).bind_blob_view(6, sender).bind_view(7, m.to);
        ins.bind(8, std::int64_t{p.total}).bind(9, std::int64_t{p.number});
        ins.bind_blob_view(10, body).bind(11, m.sent_at).bind(12, m.received_at);
        ins.bind(13, p.deadline);
        ins.run();
    }
    ++next_part_id_;
    r.part_id = id;
    std::int64_t parts = 0;
    {
        statement& count = stmts_->get(count_group_sql);
        reset_on_exit guard{count};
        count.bind(1, group);
        parts = count.step() ? count.column_int(0) : 0;
    }
    if (parts >= std::int64_t{p.total}) {
        if (auto joined = join_group(group, r.id)) {
            batch_.stored.push_back(std::move(*joined));
        }
    }
    return r;
}

std::optional<stored_message> sqlite_store::join_group(std::int64_t group,
                                                       std::int64_t& message_id) {
    message joined;
    std::int64_t parts = 0;
    std::int64_t total = 0;
    {
        statement& rows = stmts_->get(group_parts_sql);
        reset_on_exit guard{rows};
        rows.bind(1, group);
        while (rows.step()) {
            const std::int64_t id = rows.column_int(0);
            // Ids, sender and times of the first part there is (part 1, when it came); the
            // received time of the last.
            if (parts++ == 0) {
                joined.source = rows.column_text(1);
                joined.provider_id = rows.column_text(2);
                joined.from = open_or_throw(*keys_, rows.column_blob(3), id, part_sender_column);
                joined.to = rows.column_text(4);
                if (!rows.column_is_null(6)) {
                    joined.sent_at = rows.column_int(6);
                }
                total = rows.column_int(8);
            }
            joined.text += open_or_throw(*keys_, rows.column_blob(5), id, part_body_column);
            joined.received_at = std::max(joined.received_at, rows.column_int(7));
        }
    }
    if (parts == 0) {
        throw std::logic_error("a multipart group without parts");
    }
    joined.partial = parts < total;
    append_result r;
    auto stored = insert_message(joined, r);  // the append hook runs here, as for any message
    if (r.id == 0) {
        throw std::runtime_error("a joined message's row was not found");
    }
    statement& mark = stmts_->get(mark_group_sql);
    reset_on_exit guard{mark};
    mark.bind(1, group).bind(2, r.id);
    mark.run();
    message_id = r.id;
    return stored;
}

std::pair<std::size_t, std::size_t> sqlite_store::join_expired_groups(unix_ms now,
                                                                      std::int64_t& after,
                                                                      std::size_t limit) {
    std::vector<std::int64_t> groups;
    {
        statement& q = stmts_->get(expired_groups_sql);
        reset_on_exit guard{q};
        q.bind(1, now).bind(2, after).bind(3, static_cast<std::int64_t>(limit));
        while (q.step()) {
            groups.push_back(q.column_int(0));
        }
    }
    std::size_t stored = 0;
    for (std::int64_t group : groups) {
        after = group;
        // Each group alone: one whose hook throws stays open for the next sweep.
        stmts_->get("SAVEPOINT part_group").run();
        try {
            std::int64_t id = 0;
            auto joined = join_group(group, id);
            stmts_->get("RELEASE part_group").run();
            if (joined) {
                batch_.stored.push_back(std::move(*joined));
                ++stored;
            }
        } catch (const std::exception& e) {
            stmts_->get("ROLLBACK TO part_group").run();
            stmts_->get("RELEASE part_group").run();
            log_event(*opts_.logger, spdlog::level::err,
                      "joining an expired multipart group failed",
                      {{"group", group}, {"error", e.what()}});
        }
    }
    return {groups.size(), stored};
}

std::size_t sqlite_store::join_expired_parts(unix_ms now) {
    constexpr std::size_t groups_per_job = 100;  // a short job: appends keep flowing
    std::size_t total = 0;
    std::int64_t after = 0;
    for (;;) {
        std::pair<std::size_t, std::size_t> done{};
        auto ec = write_sync(
            [&](connection&) { done = join_expired_groups(now, after, groups_per_job); });
        if (ec) {
            throw std::runtime_error(
                "joining expired multipart groups failed: the store is "
                "unavailable");
        }
        total += done.second;
        if (done.first < groups_per_job) {
            return total;
        }
    }
}

}  // namespace vrnum::detail
