#include "numbers/numbers_service.hpp"

#include <algorithm>
#include <chrono>
#include <future>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_future.hpp>
#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <boost/system/system_error.hpp>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "accounts/account_store.hpp"
#include "accounts/secrets.hpp"
#include "api/json_io.hpp"
#include "api/list_route.hpp"
#include "crypto/encoding.hpp"
#include "log/json_log.hpp"
#include "mail/display.hpp"
#include "store_async.hpp"
#include "store_sync.hpp"
#include "wallet/ledger.hpp"

namespace vrnumd::numbers {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;
using vrnum::errc;
using vrnum::http::request;
using vrnum::http::response;

constexpr vrnum::unix_ms day_ms = 86'400'000;
constexpr vrnum::unix_ms hour_ms = 3'600'000;

std::string error_body(errc code, std::string_view detail) {
    return api::error(code, detail).body;
}

std::string rental_reference(std::int64_t rental_id) {
    return "rental " + std::to_string(rental_id);
}

response answer(const order_step& s) {
    auto r = vrnum::http::json_response(s.status, s.body);
    if (s.status == 503) {
        r.set("Retry-After", "30");
    }
    return r;
}

order_step final_step(unsigned status, std::string body) {
    return {status, std::move(body), std::nullopt};
}

}  // namespace

json::object rental_json(const rental& r) {
    return {{"id", r.id},
            {"number", r.number.empty() ? json::value(nullptr) : json::value(r.number)},
            {"country", r.country},
            {"days", r.days},
            {"state", r.state},
            {"expires_at", api::time_or_null(r.expires_at)},
            {"auto_renew", r.auto_renew},
            {"created_at", vrnum::format_rfc3339(r.created_at)}};
}

struct service::impl {
    vrnum::store& store;
    const daemon_config& cfg;
    accounts::service& accounts;
    std::shared_ptr<spdlog::logger> log;
    asio::any_io_executor ex;
    service_options opts;
    std::optional<http_provisioner> http;

    vrnum::unix_ms now() const { return opts.clock ? opts.clock() : vrnum::now_unix_ms(); }
    vrnum::unix_ms quarantine_end(vrnum::unix_ms t) const {
        return t + static_cast<vrnum::unix_ms>(cfg.numbers.quarantine_days) * day_ms;
    }

    const catalog_entry* offer(const std::string& country, std::int64_t days) const {
        for (const auto& c : cfg.numbers.catalog) {
            if (c.country == country && static_cast<std::int64_t>(c.days) == days) {
                return &c;
            }
        }
        return nullptr;
    }
    // What renewing `r` costs: its own period if still offered, else the country's first.
    const catalog_entry* renewal_offer(const rental& r) const {
        if (const auto* o = offer(r.country, r.days)) {
            return o;
        }
        for (const auto& c : cfg.numbers.catalog) {
            if (c.country == r.country) {
                return &c;
            }
        }
        return nullptr;
    }

    void debit(vrnum::write_txn& txn, wallet::entry_kind kind, std::int64_t account,
               std::int64_t amount, std::int64_t rental_id, vrnum::unix_ms t) {
        wallet::post(
            txn, kind, rental_reference(rental_id),
            {{wallet::wallet_account(txn, account), -amount},
             {wallet::system_ledger_account(txn, wallet::system_account::revenue), amount}},
            t);
    }
    void refund(vrnum::write_txn& txn, const rental& r, std::int64_t amount, vrnum::unix_ms t) {
        if (!r.account_id || amount <= 0) {
            vrnum::detail::log_event(*log, spdlog::level::err,
                                     "refund owed to an erased account's rental",
                                     {{"rental_id", r.id}, {"amount_minor", amount}});
            return;
        }
        wallet::post(
            txn, wallet::entry_kind::refund, rental_reference(r.id),
            {{wallet::system_ledger_account(txn, wallet::system_account::revenue), -amount},
             {wallet::wallet_account(txn, *r.account_id), amount}},
            t);
    }

    void mail_order(vrnum::write_txn& txn, const rental& r, std::int64_t amount) {
        accounts.notify(txn, *r.account_id, "order_confirmation",
                        {{"number", r.number},
                         {"country", r.country},
                         {"days", r.days},
                         {"amount", mail::money_text(amount)},
                         {"expires_at", mail::time_text(r.expires_at.value_or(0))},
                         {"auto_renew", r.auto_renew}});
    }
    void mail_renewal(vrnum::write_txn& txn, const rental& r, unsigned days, std::int64_t amount) {
        accounts.notify(txn, *r.account_id, "renewal_receipt",
                        {{"number", r.number},
                         {"days", days},
                         {"amount", mail::money_text(amount)},
                         {"expires_at", mail::time_text(r.expires_at.value_or(0))},
                         {"balance", mail::money_text(wallet::balance(txn, *r.account_id))}});
    }

    // --- renting ---------------------------------------------------------------------------

    order_step reserve_order(vrnum::write_txn& txn, std::int64_t account, const std::string& key,
                             const std::string& hash, const catalog_entry& o, bool auto_renew,
                             vrnum::unix_ms t) {
        if (auto prior = find_order(txn, account, key)) {
            if (prior->request_hash != hash) {
                return final_step(422,
                                  error_body(errc::validation,
                                             "this Idempotency-Key was used for another order"));
            }
            if (prior->status != 0) {
                return final_step(prior->status, prior->body);
            }
            return final_step(503, error_body(errc::unavailable,
                                              "this order is still being processed; try again "
                                              "shortly"));
        }
        auto a = accounts::load_account(txn, account);
        if (!a || !a->email_confirmed) {
            return final_step(
                403, error_body(errc::forbidden, "confirm your email address before renting"));
        }
        auto price = static_cast<std::int64_t>(o.price_minor);
        auto remember = [&](unsigned status, std::string body, std::optional<std::int64_t> rid) {
            add_order(txn, account, key, hash, rid, status, body, t);
            return final_step(status, std::move(body));
        };
        if (!http && free_count(txn, o.country, t) == 0) {
            return remember(
                409, error_body(errc::conflict, "no number is free in " + o.country + " right now"),
                std::nullopt);
        }
        if (wallet::balance(txn, account) < price) {
            return remember(402,
                            error_body(errc::insufficient_funds,
                                       "your wallet does not cover this number; top up first"),
                            std::nullopt);
        }
        if (!http) {
            auto number = take_free_number(txn, o.country, t);
            if (!number) {
                return remember(
                    409,
                    error_body(errc::conflict, "no number is free in " + o.country + " right now"),
                    std::nullopt);
            }
            std::int64_t id = add_rental(txn, account, number, o.country, o.days, price, auto_renew,
                                         t + static_cast<vrnum::unix_ms>(o.days) * day_ms, t);
            debit(txn, wallet::entry_kind::purchase, account, price, id, t);
            count_rental(txn, o.country, false, t);
            auto r = find_rental(txn, id);
            mail_order(txn, *r, price);
            return remember(201, json::serialize(rental_json(*r)), id);
        }
        std::int64_t id =
            add_rental(txn, account, std::nullopt, o.country, o.days, price, auto_renew, {}, t);
        debit(txn, wallet::entry_kind::purchase, account, price, id, t);
        add_order(txn, account, key, hash, id, 0, "", t);
        return reserve_call(txn, {0, "allocate", id, std::nullopt, "", o.days, price, 0}, t);
    }

    // A provisioning call's result, applied in one write. A call another caller settled
    // meanwhile changes nothing: the answer is what that settlement decided.
    order_step settle(vrnum::write_txn& txn, const provision_op& op, call_outcome outcome,
                      const allocation& got, vrnum::unix_ms t) {
        if (!op_pending(txn, op.id)) {
            auto r = op.rental_id ? find_rental(txn, *op.rental_id) : std::nullopt;
            if (op.kind == "allocate" && r && r->account_id) {
                if (auto o = order_of(txn, *r); o && o->status != 0) {
                    return final_step(o->status, o->body);
                }
            }
            return final_step(r ? 200 : 404, r ? json::serialize(rental_json(*r)) : "");
        }
        auto r = op.rental_id ? find_rental(txn, *op.rental_id) : std::nullopt;
        if (op.kind == "allocate" && outcome == call_outcome::ok && r &&
            !usable_allocation(txn, got, *r)) {
            outcome = call_outcome::refused;  // nothing the customer could use: refunded
        }
        if (outcome == call_outcome::unsettled) {
            vrnum::unix_ms wait =
                std::min<vrnum::unix_ms>(hour_ms, 30'000LL << std::min(op.attempts, 7));
            retry_op(txn, op.id, t + wait);
            bool renewal = op.kind == "renew";
            return final_step(
                renewal ? 202 : 503,
                renewal ? json::serialize(json::object{{"status", "renewal_pending"},
                                                       {"detail",
                                                        "the number provider has not answered "
                                                        "yet; the renewal completes or is "
                                                        "refunded by itself"}})
                        : error_body(errc::unavailable,
                                     "the number provider has not answered yet; "
                                     "the order completes or is refunded by "
                                     "itself"));
        }
        settle_op(txn, op.id, outcome == call_outcome::ok, t);
        if (op.kind == "release") {
            // Refused (an unknown ref, say): the API does not hold it either way.
            if (op.number_id) {
                number_released(txn, *op.number_id);
            }
            return final_step(204, "");
        }
        if (!r) {
            return final_step(404, "");
        }
        if (op.kind == "allocate") {
            if (outcome == call_outcome::refused) {
                refund(txn, *r, op.amount_minor, t);
                fail_rental(txn, r->id);
                std::string body =
                    error_body(errc::conflict, "no number is free in " + r->country + " right now");
                finish_order(txn, r->id, 409, body);
                return final_step(409, body);
            }
            std::int64_t number = add_allocated_number(txn, got.number, r->country, got.ref, t);
            // The customer paid for `days` from now, whatever period the API keeps it for.
            activate_rental(txn, r->id, number, t + static_cast<vrnum::unix_ms>(op.days) * day_ms);
            count_rental(txn, r->country, false, t);
            r = find_rental(txn, r->id);
            if (!r->account_id) {
                end_rental(txn, r->id, quarantine_end(t), t);  // erased while it was allocated
                return final_step(404, "");
            }
            std::string body = json::serialize(rental_json(*r));
            finish_order(txn, r->id, 201, body);
            mail_order(txn, *r, op.amount_minor);
            return final_step(201, body);
        }
        // renew
        vrnum::unix_ms base = std::max(r->expires_at.value_or(t), t);
        if (outcome == call_outcome::refused ||
            !extend_rental(txn, r->id, base + static_cast<vrnum::unix_ms>(op.days) * day_ms)) {
            // Refused, or the rental ended meanwhile: the renewal is not delivered.
            refund(txn, *r, op.amount_minor, t);
            if (r->expires_at) {
                mark_renew_refused(txn, r->id, *r->expires_at);
            }
            return final_step(409, error_body(errc::conflict,
                                              "the number could not be renewed; the price was "
                                              "refunded"));
        }
        count_rental(txn, r->country, true, t);
        r = find_rental(txn, r->id);
        if (r->account_id) {
            mail_renewal(txn, *r, op.days, op.amount_minor);
        }
        return final_step(200, json::serialize(rental_json(*r)));
    }

    static std::optional<idempotent_order> order_of(vrnum::read_txn& txn, const rental& r) {
        std::optional<idempotent_order> out;
        txn.query(
            "SELECT request_hash, rental_id, status, body FROM rental_orders WHERE rental_id = ?1",
            {r.id}, [&](const vrnum::sql_row& row) {
                out = idempotent_order{row.get_text(0), r.id, static_cast<unsigned>(row.get_int(2)),
                                       row.get_text(3)};
            });
        return out;
    }

    // An allocation the customer can use: an E.164 number no other rental holds.
    bool usable_allocation(vrnum::read_txn& txn, const allocation& got, const rental& r) {
        bool e164 = got.number.size() >= 8 && got.number.size() <= 16 && got.number[0] == '+' &&
                    got.number[1] != '0' &&
                    std::all_of(got.number.begin() + 1, got.number.end(),
                                [](char c) { return c >= '0' && c <= '9'; });
        bool taken =
            e164 && txn.query(
                        "SELECT 1 FROM rentals r JOIN numbers n ON n.id = "
                        "r.number_id WHERE n.number = ?1 AND r.state IN "
                        "('pending', 'active') AND r.id <> ?2",
                        {std::string_view(got.number), r.id}, [](const vrnum::sql_row&) {}) > 0;
        if (!e164 || taken) {
            vrnum::detail::log_event(
                *log, spdlog::level::err, "provisioning API allocated an unusable number",
                {{"rental_id", r.id}, {"reason", e164 ? "already rented" : "not E.164"}});
        }
        return e164 && !taken;
    }

    // Makes provisioning call `op` and applies its result.
    asio::awaitable<order_step> run_op(provision_op op) {
        std::string detail;
        std::string key = "vrnum-op-" + std::to_string(op.id);
        allocation got;
        call_outcome outcome = call_outcome::unsettled;
        std::optional<rental> r;
        auto look = [&](vrnum::read_txn& txn) {
            if (op.rental_id) {
                r = find_rental(txn, *op.rental_id);
            }
        };
        if (auto ec = co_await read_job(store, look)) {
            co_return final_step(503, error_body(errc::unavailable, "the store is unavailable"));
        }
        if (!http) {
            co_return final_step(503, error_body(errc::unavailable, "no provisioning API"));
        }
        if (op.kind == "allocate" && r) {
            outcome = co_await http->allocate(r->country, op.days, key, got, detail);
        } else if (op.kind == "renew") {
            outcome = co_await http->renew(op.ref, op.days, key, detail);
        } else if (op.kind == "release") {
            outcome = co_await http->release(op.ref, key, detail);
        }
        if (outcome != call_outcome::ok) {
            vrnum::detail::log_event(
                *log, spdlog::level::warn, "provisioning call",
                {{"op_id", op.id},
                 {"kind", op.kind},
                 {"outcome", outcome == call_outcome::refused ? "refused" : "unsettled"},
                 {"detail", detail}});
        }
        order_step step;
        vrnum::unix_ms t = now();
        auto apply = [&](vrnum::write_txn& txn) { step = settle(txn, op, outcome, got, t); };
        if (auto ec = co_await write_job(store, apply)) {
            co_return final_step(503, error_body(errc::unavailable, "the store is unavailable"));
        }
        co_return step;
    }

    // Records call `op`, leased to the caller, as the step to take next.
    order_step reserve_call(vrnum::write_txn& txn, provision_op op, vrnum::unix_ms t) {
        op.id = add_op(txn, op, t + opts.call_lease.count(), t);
        return {0, "", std::move(op)};
    }

    // --- renewing --------------------------------------------------------------------------

    // Debits a renewal of `r` for `o` and renews it (pool) or reserves the call (http); 402
    // when the wallet does not cover it.
    order_step reserve_renewal(vrnum::write_txn& txn, const rental& r, const catalog_entry& o,
                               vrnum::unix_ms t) {
        auto price = static_cast<std::int64_t>(o.price_minor);
        if (http && renewal_pending(txn, r.id)) {
            // One renewal at a time: a second would charge again before the first settled.
            return final_step(
                409, error_body(errc::conflict, "a renewal of this number is already in progress"));
        }
        if (wallet::balance(txn, *r.account_id) < price) {
            return final_step(402, error_body(errc::insufficient_funds,
                                              "your wallet does not cover the renewal; top up "
                                              "first"));
        }
        debit(txn, wallet::entry_kind::renewal, *r.account_id, price, r.id, t);
        if (http) {
            return reserve_call(
                txn, {0, "renew", r.id, r.number_id, r.provider_ref, o.days, price, 0}, t);
        }
        vrnum::unix_ms base = std::max(r.expires_at.value_or(t), t);
        extend_rental(txn, r.id, base + static_cast<vrnum::unix_ms>(o.days) * day_ms);
        count_rental(txn, r.country, true, t);
        auto now_r = find_rental(txn, r.id);
        mail_renewal(txn, *now_r, o.days, price);
        return final_step(200, json::serialize(rental_json(*now_r)));
    }

    // Runs `fn` as a write job and then the call it reserved, if any.
    asio::awaitable<response> reserve_then_call(
        const std::function<order_step(vrnum::write_txn&)>& fn) {
        order_step step;
        auto job = [&](vrnum::write_txn& txn) { step = fn(txn); };
        if (auto ec = co_await write_job(store, job)) {
            co_return accounts::store_error(ec);
        }
        if (step.call) {
            step = co_await run_op(*step.call);
        }
        co_return answer(step);
    }

    // --- routes ----------------------------------------------------------------------------

    asio::awaitable<response> catalog(request&) {
        std::vector<std::int64_t> free(cfg.numbers.catalog.size(), 0);
        vrnum::unix_ms t = now();
        if (!http) {
            auto count = [&](vrnum::read_txn& txn) {
                for (std::size_t i = 0; i < free.size(); ++i) {
                    free[i] = free_count(txn, cfg.numbers.catalog[i].country, t);
                }
            };
            if (auto ec = co_await read_job(store, count)) {
                co_return accounts::store_error(ec);
            }
        }
        json::array items;
        for (std::size_t i = 0; i < free.size(); ++i) {
            const auto& c = cfg.numbers.catalog[i];
            items.push_back(
                json::object{{"country", c.country},
                             {"days", c.days},
                             {"price_minor", c.price_minor},
                             {"currency", wallet::currency},
                             // The provisioning API does not say how many it holds.
                             {"available", http ? json::value(nullptr) : json::value(free[i])}});
        }
        co_return api::reply(200,
                             json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
    }

    asio::awaitable<response> rent(request& req) {
        accounts::principal who;
        json::object body;
        if (auto r = co_await accounts::authenticate_with_body(accounts, req, who, body)) {
            co_return *r;
        }
        std::string key(req.header("Idempotency-Key"));
        if (key.empty() || key.size() > 200) {
            co_return api::error(errc::malformed,
                                 "the Idempotency-Key header is required (1 to 200 characters)");
        }
        api::fields f(body);
        auto country = f.text("country", true, 8);
        auto days = f.integer("days", true);
        bool auto_renew = f.boolean("auto_renew", false).value_or(false);
        if (!f.ok()) {
            co_return api::error(errc::validation, f.detail());
        }
        const catalog_entry* o = offer(*country, *days);
        if (!o) {
            co_return api::error(errc::validation,
                                 "country, days: the catalog has no such offer (GET /catalog)");
        }
        std::string hash = vrnum::detail::encode_hex(accounts::secret_hash(
            *country + "\n" + std::to_string(*days) + "\n" + (auto_renew ? "1" : "0")));
        std::int64_t account = who.account_id;
        vrnum::unix_ms t = now();
        std::function<order_step(vrnum::write_txn&)> fn = [&](vrnum::write_txn& txn) {
            return reserve_order(txn, account, key, hash, *o, auto_renew, t);
        };
        auto r = co_await reserve_then_call(fn);
        co_return r;
    }

    asio::awaitable<response> show(request& req) {
        auto who = co_await accounts.authenticate(req);
        if (!who) {
            co_return accounts::auth_error(who.error());
        }
        auto id = api::path_id(req, "id");
        std::optional<rental> r;
        std::int64_t account = who->account_id;
        auto find = [&](vrnum::read_txn& txn) {
            if (id) {
                r = find_rental(txn, *id, account);
            }
        };
        if (auto ec = co_await read_job(store, find)) {
            co_return accounts::store_error(ec);
        }
        if (!r) {
            co_return api::error(errc::not_found, "no such number");
        }
        co_return api::reply(200, rental_json(*r));
    }

    asio::awaitable<response> renew(request& req) {
        accounts::principal who;
        json::object body;
        if (auto r = co_await accounts::authenticate_with_body(accounts, req, who, body)) {
            co_return *r;
        }
        api::fields f(body);
        auto days = f.integer("days", true);
        auto id = api::path_id(req, "id");
        std::int64_t account = who.account_id;
        vrnum::unix_ms t = now();
        std::function<order_step(vrnum::write_txn&)> fn = [&](vrnum::write_txn& txn) {
            // Someone else's number is not found, whatever the body says.
            auto r = id ? find_rental(txn, *id, account) : std::nullopt;
            if (!r) {
                return final_step(404, error_body(errc::not_found, "no such number"));
            }
            if (!f.ok()) {
                return final_step(422, error_body(errc::validation, f.detail()));
            }
            if (r->state != "active") {
                return final_step(
                    409, error_body(errc::conflict, "only an active number can be renewed"));
            }
            const catalog_entry* o = offer(r->country, *days);
            if (!o) {
                return final_step(
                    422, error_body(errc::validation,
                                    "days: the catalog has no such period for " + r->country));
            }
            return reserve_renewal(txn, *r, *o, t);
        };
        auto r = co_await reserve_then_call(fn);
        co_return r;
    }

    asio::awaitable<response> patch(request& req) {
        accounts::principal who;
        json::object body;
        if (auto r = co_await accounts::authenticate_with_body(accounts, req, who, body)) {
            co_return *r;
        }
        api::fields f(body);
        auto on = f.boolean("auto_renew", true);
        auto id = api::path_id(req, "id");
        std::int64_t account = who.account_id;
        std::optional<rental> r;
        auto job = [&](vrnum::write_txn& txn) {
            r = id ? find_rental(txn, *id, account) : std::nullopt;
            if (r && on && set_auto_renew(txn, account, *id, *on)) {
                r = find_rental(txn, *id, account);
            }
        };
        if (auto ec = co_await write_job(store, job)) {
            co_return accounts::store_error(ec);
        }
        if (!r) {
            co_return api::error(errc::not_found, "no such number");
        }
        if (!f.ok()) {
            co_return api::error(errc::validation, f.detail());
        }
        if (r->auto_renew != *on) {
            co_return api::error(errc::conflict, "this number has ended");
        }
        co_return api::reply(200, rental_json(*r));
    }

    // --- jobs ------------------------------------------------------------------------------

    template <class Fn>
    void blocking_write(const Fn& fn) {
        write_sync(store, fn, "numbers job");
    }

    bool in_pool(const std::string& number) const {
        return std::any_of(cfg.numbers.pool.begin(), cfg.numbers.pool.end(),
                           [&](const pool_number& p) { return p.number == number; });
    }

    // Runs `op` on the I/O executor and waits, at most a bounded time: when the executor
    // stops (a second SIGTERM) the job gives up and the call's lease runs out for a later run.
    void run_op_blocking(const provision_op& op) {
        auto call = [this, op]() -> asio::awaitable<order_step> {
            auto s = co_await run_op(op);
            co_return s;
        };
        auto done = asio::co_spawn(ex, call, asio::use_future);
        auto bound = std::chrono::seconds(2 * cfg.http_client.timeout_seconds + 30);
        if (done.wait_for(bound) != std::future_status::ready) {
            vrnum::detail::log_event(*log, spdlog::level::warn, "provisioning call abandoned",
                                     {{"op_id", op.id}});
        }
    }

    void retry_calls(const std::stop_token& stop) {
        if (!http) {
            return;
        }
        std::vector<provision_op> due;
        vrnum::unix_ms t = now();
        blocking_write([&](vrnum::write_txn& txn) {
            due = lease_due_ops(txn, t, t + opts.call_lease.count(), 50);
        });
        for (const auto& op : due) {
            if (stop.stop_requested()) {
                return;
            }
            run_op_blocking(op);
        }
    }

    void warn_and_renew(const std::stop_token& stop) {
        vrnum::unix_ms t = now();
        unsigned widest = 0;
        for (unsigned d : cfg.numbers.expiry_warning_days) {
            widest = std::max(widest, d);
        }
        vrnum::unix_ms horizon =
            t + std::max<vrnum::unix_ms>(widest * day_ms,
                                         cfg.numbers.auto_renew_hours_before * hour_ms);
        std::vector<rental> soon;
        read_sync(
            store, [&](vrnum::read_txn& txn) { soon = rentals_expiring(txn, horizon + 1, 1000); },
            "numbers job");
        for (const auto& r : soon) {
            if (stop.stop_requested()) {
                return;
            }
            if (!r.account_id || !r.expires_at || *r.expires_at <= t) {
                continue;
            }
            vrnum::unix_ms left = *r.expires_at - t;
            std::optional<provision_op> call;
            blocking_write([&](vrnum::write_txn& txn) {
                auto cur = find_rental(txn, r.id);
                if (!cur || cur->state != "active" || cur->expires_at != r.expires_at) {
                    return;  // renewed or ended meanwhile
                }
                const catalog_entry* o = renewal_offer(*cur);
                bool due_to_renew =
                    cur->auto_renew && o && cur->renew_refused_for != cur->expires_at &&
                    left <= static_cast<vrnum::unix_ms>(cfg.numbers.auto_renew_hours_before) *
                                hour_ms &&
                    !(http && renewal_pending(txn, cur->id));
                if (due_to_renew) {
                    auto step = reserve_renewal(txn, *cur, *o, t);
                    call = step.call;
                    if (step.status != 402) {
                        return;
                    }
                    if (cur->renew_failed_for != cur->expires_at) {
                        accounts.notify(
                            txn, *cur->account_id, "auto_renew_failed",
                            {{"number", cur->number},
                             {"price", mail::money_text(static_cast<std::int64_t>(o->price_minor))},
                             {"balance", mail::money_text(wallet::balance(txn, *cur->account_id))},
                             {"expires_at", mail::time_text(*cur->expires_at)}});
                        mark_renew_failed(txn, cur->id, *cur->expires_at);
                    }
                }
                // The expiry warning: the nearest threshold passed, once.
                std::optional<unsigned> due;
                for (unsigned d : cfg.numbers.expiry_warning_days) {
                    if (left <= static_cast<vrnum::unix_ms>(d) * day_ms && (!due || d < *due)) {
                        due = d;
                    }
                }
                if (due && (!cur->warned_days || *cur->warned_days > *due)) {
                    accounts.notify(
                        txn, *cur->account_id, "expiry_warning",
                        {{"number", cur->number},
                         {"expires_at", mail::time_text(*cur->expires_at)},
                         {"auto_renew", cur->auto_renew},
                         {"price",
                          mail::money_text(o ? static_cast<std::int64_t>(o->price_minor) : 0)}});
                    mark_warned(txn, cur->id, *due);
                }
            });
            if (call) {
                run_op_blocking(*call);
            }
        }
    }

    void expire_and_release(const std::stop_token& stop) {
        vrnum::unix_ms t = now();
        std::vector<rental> ended;
        read_sync(
            store, [&](vrnum::read_txn& txn) { ended = rentals_expiring(txn, t + 1, 1000); },
            "numbers job");
        blocking_write([&](vrnum::write_txn& txn) {
            for (const auto& listed : ended) {
                // Checked again inside the write: a renewal may have committed since, or be
                // still in progress with the provisioning API (it ends the rental, refunded,
                // if it fails).
                auto r = find_rental(txn, listed.id);
                if (!r || r->state != "active" || !r->expires_at || *r->expires_at > t ||
                    (http && renewal_pending(txn, r->id))) {
                    continue;
                }
                // The quarantine runs from the expiry, however late the job came.
                end_rental(txn, r->id, quarantine_end(*r->expires_at), t);
            }
        });
        std::vector<quarantined> over;
        read_sync(
            store, [&](vrnum::read_txn& txn) { over = quarantine_over(txn, t, 1000); },
            "numbers job");
        std::vector<provision_op> calls;
        blocking_write([&](vrnum::write_txn& txn) {
            for (const auto& q : over) {
                if (q.origin == "pool") {
                    number_back(
                        txn, q.id,
                        in_pool(q.number) ? after_quarantine::free : after_quarantine::retired);
                    continue;
                }
                number_back(txn, q.id, after_quarantine::releasing);
                calls.push_back(
                    *reserve_call(txn, {0, "release", std::nullopt, q.id, q.ref, 0, 0, 0}, t).call);
            }
            purge_orders(txn, t - day_ms);
        });
        for (const auto& op : calls) {
            if (stop.stop_requested()) {
                return;
            }
            run_op_blocking(op);
        }
    }
};

service::service(vrnum::store& store, const daemon_config& cfg, accounts::service& accounts,
                 std::shared_ptr<spdlog::logger> log, asio::any_io_executor ex,
                 service_options opts)
    : impl_(new impl{store, cfg, accounts, std::move(log), std::move(ex), std::move(opts), {}}) {
    if (cfg.numbers.provisioner == provisioner_kind::http) {
        impl_->http.emplace(impl_->ex, cfg.numbers.http, cfg.http_client);
    } else {
        vrnum::unix_ms t = impl_->now();
        write_sync(
            store, [&](vrnum::write_txn& txn) { sync_pool(txn, cfg.numbers.pool, t); },
            "numbers pool");
    }
    accounts.add_export_section(accounts::rows_section(
        "rentals",
        [](vrnum::read_txn& txn, std::int64_t id) { return list_rentals(txn, id, 0, 1'000'000); },
        rental_json));
    accounts.add_export_section(
        accounts::rows_section("rental_orders", list_orders, [](const order_row& o) {
            return json::object{
                {"idempotency_key", o.key},
                {"rental_id", o.rental_id ? json::value(*o.rental_id) : json::value(nullptr)},
                {"status", o.status},
                {"created_at", vrnum::format_rfc3339(o.created_at)}};
        }));
    accounts.add_erasure_hook([this](vrnum::write_txn& txn, std::int64_t id) {
        vrnum::unix_ms t = impl_->now();
        forget_rentals(txn, id, impl_->quarantine_end(t), t);
    });
}

service::~service() = default;

std::vector<vrnum::http::route> service::routes() {
    impl* m = impl_.get();
    auto list = [m](request& req) {
        return api::list_route<rental>(
            m->accounts, m->store, req,
            [](vrnum::read_txn& txn, std::int64_t id, const api::page& p) {
                return list_rentals(txn, id, p.before, p.limit);
            },
            rental_json);
    };
    return {
        {"GET", "/api/v1/catalog", [m](request& req) { return m->catalog(req); }, {}},
        {"POST", "/api/v1/numbers", [m](request& req) { return m->rent(req); }, {}},
        {"GET", "/api/v1/numbers", list, {}},
        {"GET", "/api/v1/numbers/{id}", [m](request& req) { return m->show(req); }, {}},
        {"PATCH", "/api/v1/numbers/{id}", [m](request& req) { return m->patch(req); }, {}},
        {"POST", "/api/v1/numbers/{id}/renew", [m](request& req) { return m->renew(req); }, {}}};
}

void service::run_jobs(const std::stop_token& stop) {
    impl_->retry_calls(stop);
    impl_->warn_and_renew(stop);
    impl_->expire_and_release(stop);
}

}  // namespace vrnumd::numbers
