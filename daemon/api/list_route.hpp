#pragma once
/// \file
/// The shape every customer list route shares (SPEC §5): authenticate, read one page of the
/// account's rows (`before`, `limit`) on a read connection, answer `{items, next_cursor}`.

#include <cstdint>
#include <functional>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "api/json_io.hpp"
#include "store_async.hpp"

namespace vrnumd::api {

/// Answers a list request for the caller's rows: `read` gets the account and the page and
/// returns rows with an `id` (newest first); `to_json` writes one. The next cursor is the
/// last row's id when the page is full.
template <class Row>
boost::asio::awaitable<vrnum::http::response> list_route(
    accounts::service& accounts, vrnum::store& store, const vrnum::http::request& req,
    std::function<std::vector<Row>(vrnum::read_txn&, std::int64_t, const page&)> read,
    std::function<boost::json::object(const Row&)> to_json) {
    auto who = co_await accounts.authenticate(req);
    if (!who) {
        co_return accounts::auth_error(who.error());
    }
    vrnum::http::response bad;
    auto p = page_of(req, bad);
    if (!p) {
        co_return bad;
    }
    std::vector<Row> rows;
    std::int64_t account = who->account_id;
    auto page_rows = [&](vrnum::read_txn& txn) { rows = read(txn, account, *p); };
    if (auto ec = co_await read_job(store, page_rows)) {
        co_return accounts::store_error(ec);
    }
    boost::json::array items;
    for (const auto& r : rows) {
        items.push_back(to_json(r));
    }
    boost::json::value next = nullptr;
    if (rows.size() == p->limit && !rows.empty()) {
        next = std::to_string(rows.back().id);
    }
    co_return reply(200, boost::json::object{{"items", std::move(items)}, {"next_cursor", next}});
}

}  // namespace vrnumd::api
