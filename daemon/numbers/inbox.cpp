#include "numbers/inbox.hpp"

#include <algorithm>

#include <boost/algorithm/string/predicate.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "api/json_io.hpp"
#include "log/json_log.hpp"
#include "store_async.hpp"

namespace vrnumd::numbers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

constexpr std::size_t max_queued_events = 1000;
constexpr auto pending_ttl = std::chrono::minutes(5);

std::vector<inbox_message> read_rows(vrnum::read_txn& txn, std::string_view sql,
                                     std::initializer_list<vrnum::sql_value> params) {
    std::vector<std::tuple<std::int64_t, std::int64_t, bool>> rows;
    txn.query(sql, params, [&](const vrnum::sql_row& r) {
        rows.emplace_back(r.get_int(0), r.get_int(1), r.get_int(2) != 0);
    });
    std::vector<inbox_message> out;
    for (const auto& [id, rental, read] : rows) {
        if (auto m = vrnum::read_message(txn, id)) {
            out.push_back({rental, read, std::move(*m)});
        }
    }
    return out;
}

// The SSE frame of one message.
std::string event_frame(std::int64_t id, const std::string& data) {
    return "id: " + std::to_string(id) + "\nevent: message\ndata: " + data + "\n\n";
}

asio::awaitable<bool> send(vrnum::http::body_writer& w, const std::string& frame) {
    bool ok = co_await w.write(frame);
    co_return ok;
}

// The body of `/messages/stream`: what was missed since `last` (the database), then what
// the hub publishes, with heartbeats, until the client goes or the server stops.
asio::awaitable<void> stream_messages(vrnum::http::body_writer& w, vrnum::store* store,
                                      message_hub* hub, accounts::service* accounts,
                                      vrnum::http::request credentials, std::int64_t account,
                                      std::int64_t last, std::chrono::milliseconds heartbeat) {
    auto sub = hub->subscribe(account);  // before the catch-up: nothing falls in between
    struct leave {
        message_hub* hub;
        std::int64_t account;
        std::shared_ptr<message_hub::subscription> sub;
        ~leave() { hub->unsubscribe(account, sub); }
    } guard{hub, account, sub};
    const std::string hello = "retry: 3000\n: connected\n\n";
    if (!co_await send(w, hello)) {
        co_return;
    }
    // What was missed, in pages, until a short one: then the live queue takes over.
    for (bool more = last > 0; more;) {
        std::vector<inbox_message> missed;
        auto catch_up = [&](vrnum::read_txn& txn) {
            missed = inbox_after(txn, account, last, 500);
        };
        if (auto ec = co_await read_job(*store, catch_up)) {
            co_return;  // the client reconnects and asks again
        }
        for (const auto& x : missed) {
            std::string frame = event_frame(x.m.id, json::serialize(message_json(x)));
            if (!co_await send(w, frame)) {
                co_return;
            }
            last = std::max(last, x.m.id);
        }
        more = missed.size() == 500;
    }
    auto quiet_since = std::chrono::steady_clock::now();
    const auto tick =
        std::min<std::chrono::milliseconds>(heartbeat, std::chrono::milliseconds(250));
    while (!w.stopping()) {
        std::deque<std::pair<std::int64_t, std::string>> events;
        bool overflowed = false;
        {
            std::lock_guard lock(sub->mutex);
            events.swap(sub->events);
            overflowed = sub->overflowed;
        }
        for (const auto& [id, data] : events) {
            if (id <= last) {
                continue;
            }
            std::string frame = event_frame(id, data);
            if (!co_await send(w, frame)) {
                co_return;
            }
            last = id;
            quiet_since = std::chrono::steady_clock::now();
        }
        if (overflowed) {
            co_return;  // fell behind: the client resumes from `last` with Last-Event-ID
        }
        if (std::chrono::steady_clock::now() - quiet_since >= heartbeat) {
            // The session (or key) must still be good: a logout, a password change or a
            // deletion ends the stream too.
            auto still = co_await accounts->authenticate(credentials);
            if (!still || still->account_id != account) {
                co_return;
            }
            const std::string beat = ": heartbeat\n\n";
            if (!co_await send(w, beat)) {
                co_return;
            }
            quiet_since = std::chrono::steady_clock::now();
        }
        if (!co_await w.wait(tick)) {
            co_return;
        }
    }
}

std::optional<std::int64_t> last_event_id(const request& req) {
    return api::decimal(req.header("Last-Event-ID"));
}

}  // namespace

json::object message_json(const inbox_message& x) {
    auto code = one_time_code(x.m.text);
    return {{"id", x.m.id},     {"number_id", x.rental_id},
            {"from", x.m.from}, {"to", x.m.to},
            {"text", x.m.text}, {"received_at", vrnum::format_rfc3339(x.m.received_at)},
            {"read", x.read},   {"code", code ? json::value(*code) : json::value(nullptr)}};
}

std::optional<std::pair<std::int64_t, std::int64_t>> route_message(vrnum::write_txn& txn,
                                                                   const vrnum::stored_message& m) {
    std::optional<std::pair<std::int64_t, std::int64_t>> to;
    txn.query(
        "SELECT r.account_id, r.id FROM rentals r JOIN numbers n ON n.id = r.number_id "
        "WHERE n.number = ?1 AND r.state = 'active' AND r.account_id IS NOT NULL "
        "AND r.expires_at > ?2 LIMIT 1",
        {std::string_view(m.to), m.received_at},
        [&](const vrnum::sql_row& r) { to.emplace(r.get_int(0), r.get_int(1)); });
    if (to) {
        txn.exec("INSERT INTO inbox (message_id, account_id, rental_id) VALUES (?1, ?2, ?3)",
                 {m.id, to->first, to->second});
    }
    return to;
}

std::vector<inbox_message> list_inbox(vrnum::read_txn& txn, std::int64_t account_id,
                                      std::optional<std::int64_t> rental_id, std::int64_t before,
                                      std::size_t limit) {
    vrnum::sql_value rental = rental_id ? vrnum::sql_value(*rental_id) : nullptr;
    return read_rows(txn,
                     "SELECT message_id, rental_id, is_read FROM inbox WHERE account_id = ?1 AND "
                     "(?2 IS NULL OR rental_id = ?2) AND (?3 = 0 OR message_id < ?3) "
                     "ORDER BY message_id DESC LIMIT ?4",
                     {account_id, rental, before, static_cast<std::int64_t>(limit)});
}

std::vector<inbox_message> inbox_after(vrnum::read_txn& txn, std::int64_t account_id,
                                       std::int64_t after, std::size_t limit) {
    return read_rows(txn,
                     "SELECT message_id, rental_id, is_read FROM inbox WHERE account_id = ?1 AND "
                     "message_id > ?2 ORDER BY message_id LIMIT ?3",
                     {account_id, after, static_cast<std::int64_t>(limit)});
}

std::optional<inbox_message> set_read(vrnum::write_txn& txn, std::int64_t account_id,
                                      std::int64_t id, bool read) {
    if (txn.exec("UPDATE inbox SET is_read = ?1 WHERE message_id = ?2 AND account_id = ?3",
                 {static_cast<std::int64_t>(read ? 1 : 0), id, account_id}) != 1) {
        return std::nullopt;
    }
    auto rows = read_rows(
        txn, "SELECT message_id, rental_id, is_read FROM inbox WHERE message_id = ?1", {id});
    return rows.empty() ? std::nullopt : std::optional<inbox_message>(std::move(rows.front()));
}

bool delete_inbox_message(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id) {
    if (txn.exec("DELETE FROM inbox WHERE message_id = ?1 AND account_id = ?2", {id, account_id}) !=
        1) {
        return false;
    }
    vrnum::delete_message(txn, id);
    return true;
}

void erase_inbox(vrnum::write_txn& txn, std::int64_t account_id) {
    std::vector<std::int64_t> ids;
    txn.query("SELECT message_id FROM inbox WHERE account_id = ?1", {account_id},
              [&](const vrnum::sql_row& r) { ids.push_back(r.get_int(0)); });
    for (auto id : ids) {
        txn.exec("DELETE FROM inbox WHERE message_id = ?1", {id});
        vrnum::delete_message(txn, id, vrnum::message_deletion::row);
    }
}

// --- message_hub ---------------------------------------------------------------------------

std::shared_ptr<message_hub::subscription> message_hub::subscribe(std::int64_t account_id) {
    auto s = std::make_shared<subscription>();
    std::lock_guard lock(mutex_);
    subs_.emplace(account_id, s);
    return s;
}

void message_hub::unsubscribe(std::int64_t account_id, const std::shared_ptr<subscription>& s) {
    std::lock_guard lock(mutex_);
    auto [b, e] = subs_.equal_range(account_id);
    for (auto it = b; it != e; ++it) {
        if (it->second.lock() == s) {
            subs_.erase(it);
            return;
        }
    }
}

void message_hub::routed(const vrnum::stored_message& m, std::int64_t account_id,
                         std::int64_t rental_id) {
    std::lock_guard lock(mutex_);
    pending_[m.id] = {m.source, m.provider_id, account_id, rental_id,
                      std::chrono::steady_clock::now()};
}

void message_hub::committed(const std::vector<vrnum::stored_message>& committed) {
    std::lock_guard lock(mutex_);
    for (const auto& m : committed) {
        auto it = pending_.find(m.id);
        // The same id with another source or provider id is a later message that reused the
        // id of one rolled back: never someone else's event.
        if (it == pending_.end() || it->second.source != m.source ||
            it->second.provider_id != m.provider_id) {
            continue;
        }
        pending pend = std::move(it->second);
        pending_.erase(it);
        auto [b, e] = subs_.equal_range(pend.account_id);
        std::string data;
        for (auto s = b; s != e; ++s) {
            auto sub = s->second.lock();
            if (!sub) {
                continue;
            }
            if (data.empty()) {
                data = json::serialize(message_json({pend.rental_id, false, m}));
            }
            std::lock_guard q(sub->mutex);
            if (sub->events.size() >= max_queued_events) {
                sub->overflowed = true;
            } else {
                sub->events.emplace_back(m.id, data);
            }
        }
    }
    // Routed but never committed (a rolled-back batch): forget after a while.
    auto old = std::chrono::steady_clock::now() - pending_ttl;
    std::erase_if(pending_, [&](const auto& kv) { return kv.second.at < old; });
}

// --- inbox_service -------------------------------------------------------------------------

inbox_service::inbox_service(vrnum::store& store, accounts::service& accounts,
                             std::shared_ptr<spdlog::logger> log,
                             std::chrono::milliseconds heartbeat)
    : store_(store), accounts_(accounts), log_(std::move(log)), heartbeat_(heartbeat) {
    store_.on_append([this](vrnum::write_txn& txn, const vrnum::stored_message& m) {
        if (auto to = route_message(txn, m)) {
            hub_.routed(m, to->first, to->second);
        }
    });
    store_.on_commit([this](const std::vector<vrnum::stored_message>& c) { hub_.committed(c); });
    accounts_.add_export_section(accounts::rows_section(
        "inbox",
        [](vrnum::read_txn& txn, std::int64_t id) {
            return list_inbox(txn, id, std::nullopt, 0, 1'000'000);
        },
        message_json));
    accounts_.add_erasure_hook(
        [](vrnum::write_txn& txn, std::int64_t id) { erase_inbox(txn, id); });
}

std::vector<vrnum::http::route> inbox_service::routes() {
    auto list = [this](request& req) -> asio::awaitable<response> {
        auto who = co_await accounts_.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        response bad;
        auto p = api::page_of(req, bad);
        if (!p) {
            co_return bad;
        }
        std::optional<std::int64_t> rental;
        if (auto n = api::query_param(req, "number_id")) {
            rental = api::decimal(*n);
            if (!rental || *rental == 0) {
                co_return api::error(errc::validation, "number_id: must be a number's id");
            }
        }
        std::vector<inbox_message> rows;
        std::int64_t account = who->account_id;
        bool known = true;
        auto read = [&](vrnum::read_txn& txn) {
            // Someone else's number (or none) is not found, as in a path.
            known = !rental || txn.query("SELECT 1 FROM rentals WHERE id = ?1 AND account_id = ?2",
                                         {*rental, account}, [](const vrnum::sql_row&) {}) == 1;
            if (known) {
                rows = list_inbox(txn, account, rental, p->before, p->limit);
            }
        };
        if (auto ec = co_await read_job(store_, read)) {
            co_return accounts::store_error(ec);
        }
        if (!known) {
            co_return api::error(errc::not_found, "no such number");
        }
        json::array items;
        for (const auto& x : rows) {
            items.push_back(message_json(x));
        }
        json::value next = nullptr;
        if (rows.size() == p->limit && !rows.empty()) {
            next = std::to_string(rows.back().m.id);
        }
        co_return api::reply(200, json::object{{"items", std::move(items)}, {"next_cursor", next}});
    };
    auto patch = [this](request& req) -> asio::awaitable<response> {
        accounts::principal who;
        json::object body;
        if (auto r = co_await accounts::authenticate_with_body(accounts_, req, who, body)) {
            co_return *r;
        }
        api::fields f(body);
        auto read = f.boolean("read", true);
        auto id = api::path_id(req, "id");
        std::int64_t account = who.account_id;
        std::optional<inbox_message> x;
        bool owned = false;
        // Someone else's message is not found, whatever the body says.
        auto job = [&](vrnum::write_txn& txn) {
            owned = id && txn.query("SELECT 1 FROM inbox WHERE message_id = ?1 AND account_id = ?2",
                                    {*id, account}, [](const vrnum::sql_row&) {}) == 1;
            if (owned && read) {
                x = set_read(txn, account, *id, *read);
            }
        };
        if (auto ec = co_await write_job(store_, job)) {
            co_return accounts::store_error(ec);
        }
        if (!owned) {
            co_return api::error(errc::not_found, "no such message");
        }
        if (!f.ok() || !x) {
            co_return api::error(errc::validation, f.detail());
        }
        co_return api::reply(200, message_json(*x));
    };
    auto remove = [this](request& req) -> asio::awaitable<response> {
        auto who = co_await accounts_.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        auto id = api::path_id(req, "id");
        std::int64_t account = who->account_id;
        bool gone = false;
        auto job = [&](vrnum::write_txn& txn) {
            gone = id && delete_inbox_message(txn, account, *id);
        };
        if (auto ec = co_await write_job(store_, job)) {
            co_return accounts::store_error(ec);
        }
        if (!gone) {
            co_return api::error(errc::not_found, "no such message");
        }
        response r;
        r.status = 204;
        co_return r;
    };
    auto stream = [this](request& req) -> asio::awaitable<response> {
        auto who = co_await accounts_.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        std::int64_t last = last_event_id(req).value_or(0);
        response r;
        r.status = 200;
        r.set("Content-Type", "text/event-stream");
        r.set("Cache-Control", "no-store");
        r.set("X-Accel-Buffering", "no");
        // What authenticates the stream again at each heartbeat: its credentials only.
        vrnum::http::request credentials;
        credentials.method = "GET";
        credentials.target = req.target;
        credentials.client_ip = req.client_ip;
        for (const auto& [name, value] : req.headers) {
            if (boost::algorithm::iequals(name, "Cookie") ||
                boost::algorithm::iequals(name, "Authorization")) {
                credentials.headers.emplace_back(name, value);
            }
        }
        r.stream = [store = &store_, hub = &hub_, accounts = &accounts_, credentials, last,
                    account = who->account_id, beat = heartbeat_](vrnum::http::body_writer& w) {
            return stream_messages(w, store, hub, accounts, credentials, account, last, beat);
        };
        co_return r;
    };
    return {{"GET", "/api/v1/messages", list, {}},
            {"PATCH", "/api/v1/messages/{id}", patch, {}},
            {"DELETE", "/api/v1/messages/{id}", remove, {}},
            {"GET", "/api/v1/messages/stream", stream, {}}};
}

}  // namespace vrnumd::numbers
