#pragma once
// What the mail tests share: a store with the mail schema, quick worker timings, and
// blocking looks at the outbox.

#include <chrono>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include "mail/mailer.hpp"
#include "mail/outbox_store.hpp"
#include "support/store_helpers.hpp"
#include "support/wait.hpp"

namespace vrnum::test {

/// A store under `c` with the mail component's migrations.
inline std::shared_ptr<vrnum::store> open_mail_store(const vrnum::store_config& c) {
    return vrnum::store::open(c, {.logger = quiet_logger(),
                                  .migrations = vrnumd::mail::migrations(),
                                  .sealed = {vrnumd::mail::sealed_columns()}});
}

/// Worker timings for tests: quick polls and retries.
inline vrnumd::mail::mailer_options fast_options() {
    vrnumd::mail::mailer_options o;
    o.poll = std::chrono::milliseconds(50);
    o.retry_base = std::chrono::milliseconds(100);
    o.lease = std::chrono::seconds(10);
    return o;
}

/// The site values the tests render with.
inline vrnumd::mail::site_values test_site() {
    return {"VRNUM", "https://sms.example.com", "support@example.com", "privacy@example.com"};
}

/// A `test_message` to `to`.
inline vrnumd::mail::mail_request test_mail(std::string to) {
    return {std::move(to), "test_message", {}, std::nullopt};
}

/// Queues `r` in a write of its own and waits for the commit; throws if it failed.
inline std::int64_t enqueue_sync(vrnum::store& st, vrnumd::mail::mailer& m,
                                 const vrnumd::mail::mail_request& r) {
    std::int64_t id = 0;
    if (auto ec = write_sync(st, [&](vrnum::write_txn& txn) { id = m.enqueue(txn, r); })) {
        throw std::runtime_error("enqueue failed: " + ec.message());
    }
    m.wake();
    return id;
}

/// Runs `fn` in a read transaction and waits.
inline void read_sync(vrnum::store& st, std::function<void(vrnum::read_txn&)> fn) {
    std::promise<boost::system::error_code> p;
    auto f = p.get_future();
    st.read(std::move(fn), [&p](boost::system::error_code ec) { p.set_value(ec); });
    if (auto ec = f.get()) {
        throw std::runtime_error("read failed: " + ec.message());
    }
}

inline vrnumd::mail::outbox_counts counts(vrnum::store& st) {
    vrnumd::mail::outbox_counts c;
    read_sync(st, [&](vrnum::read_txn& txn) { c = vrnumd::mail::count_mail(txn); });
    return c;
}

inline std::optional<vrnumd::mail::mail_status> find_state(vrnum::store& st, std::int64_t id) {
    std::optional<vrnumd::mail::mail_status> s;
    read_sync(st, [&](vrnum::read_txn& txn) { s = vrnumd::mail::mail_state(txn, id); });
    return s;
}

/// Row `id`'s state; throws when it is gone.
inline vrnumd::mail::mail_status state_of(vrnum::store& st, std::int64_t id) {
    auto s = find_state(st, id);
    if (!s) {
        throw std::runtime_error("no mail row " + std::to_string(id));
    }
    return *s;
}

inline vrnum::unix_ms next_attempt_at(vrnum::store& st, std::int64_t id) {
    vrnum::unix_ms t = 0;
    read_sync(st, [&](vrnum::read_txn& txn) {
        txn.query("SELECT next_attempt_at FROM mail_outbox WHERE id = ?1", {id},
                  [&](const vrnum::sql_row& r) { t = r.get_int(0); });
    });
    return t;
}

}  // namespace vrnum::test
