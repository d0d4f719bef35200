// What the service holds about an account, as one export document, and its erasure.

#include <chrono>
#include <thread>

#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "accounts/credential_store.hpp"
#include "accounts/service_impl.hpp"
#include "log/json_log.hpp"
#include "mail/display.hpp"
#include "mail/outbox_store.hpp"
#include "store_sync.hpp"

namespace vrnumd::accounts {
namespace {

json::array sessions_json(vrnum::read_txn& txn, std::int64_t id) {
    json::array rows;
    // Never the session's id or CSRF token: the export may be kept anywhere.
    txn.query(
        "SELECT created_at, last_seen_at, expires_at FROM sessions WHERE account_id = ?1 "
        "ORDER BY id",
        {id}, [&](const vrnum::sql_row& r) {
            rows.push_back(json::object{{"created_at", vrnum::format_rfc3339(r.get_int(0))},
                                        {"last_seen_at", vrnum::format_rfc3339(r.get_int(1))},
                                        {"expires_at", vrnum::format_rfc3339(r.get_int(2))}});
        });
    return rows;
}

json::array tokens_json(vrnum::read_txn& txn, std::int64_t id) {
    json::array rows;
    txn.query(
        "SELECT purpose, created_at, expires_at FROM account_tokens WHERE account_id = ?1 "
        "ORDER BY id",
        {id}, [&](const vrnum::sql_row& r) {
            rows.push_back(json::object{{"purpose", r.get_text(0)},
                                        {"created_at", vrnum::format_rfc3339(r.get_int(1))},
                                        {"expires_at", vrnum::format_rfc3339(r.get_int(2))}});
        });
    return rows;
}

json::array mail_json(vrnum::read_txn& txn, std::int64_t id) {
    json::array rows;
    for (const auto& m : mail::account_mail(txn, id)) {
        rows.push_back(json::object{{"id", m.id},
                                    {"template", m.template_name},
                                    {"status", m.status},
                                    {"to", m.recipient},
                                    {"created_at", vrnum::format_rfc3339(m.created_at)},
                                    {"finished_at", api::time_or_null(m.finished_at)}});
    }
    return rows;
}

}  // namespace

json::array api_keys_json(vrnum::read_txn& txn, std::int64_t account_id) {
    json::array items;
    for (const auto& k : list_api_keys(txn, account_id)) {
        items.push_back(json::object{{"id", k.id},
                                     {"name", k.name},
                                     {"prefix", k.prefix},
                                     {"created_at", vrnum::format_rfc3339(k.created_at)},
                                     {"last_used_at", api::time_or_null(k.last_used_at)}});
    }
    return items;
}

std::optional<json::object> service::impl::export_in(vrnum::read_txn& txn, std::int64_t id) const {
    auto a = load_account(txn, id);
    if (!a) {
        return std::nullopt;
    }
    json::object profile = me_json(*a, "");
    profile.erase("csrf_token");
    json::object doc{
        {"format", "vrnum-export-1"},         {"exported_at", vrnum::format_rfc3339(now())},
        {"account", std::move(profile)},      {"account_tokens", tokens_json(txn, id)},
        {"sessions", sessions_json(txn, id)}, {"api_keys", api_keys_json(txn, id)},
        {"mail_outbox", mail_json(txn, id)}};
    for (const auto& s : sections) {
        doc[s.name] = s.rows(txn, id);
    }
    return doc;
}

vrnum::unix_ms service::impl::schedule_in(vrnum::write_txn& txn, const account& a,
                                          vrnum::unix_ms t) {
    vrnum::unix_ms asked = schedule_deletion(txn, a.id, t);
    end_sessions(txn, a.id);
    // The day, as the mail says it: "deleted on 2027-01-06".
    std::string day = mail::day_text(erasure_time(asked));
    enqueue(txn, a.email, "deletion_scheduled", {{"deletion_at", day}}, a.id);
    return asked;
}

bool service::impl::await_notice(std::int64_t mail_id, std::chrono::milliseconds wait,
                                 const std::stop_token& stop) {
    auto until = std::chrono::steady_clock::now() + wait;
    while (std::chrono::steady_clock::now() < until) {
        if (stop.stop_requested()) {
            return false;
        }
        std::optional<mail::mail_status> s;
        read_sync(
            store, [&](vrnum::read_txn& txn) { s = mail::mail_state(txn, mail_id); },
            "cannot read the outbox");
        if (!s || s->status != "queued") {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    vrnum::detail::log_event(*log, spdlog::level::warn,
                             "deletion notice not sent in time; erasing anyway",
                             {{"mail_id", mail_id}});
    return true;
}

bool service::impl::truncate_wal(const std::stop_token& stop) {
    // A reader (of this process or a command) may hold the log for a moment: a few tries,
    // each of which holds the write lock for up to the busy timeout, so no more than three.
    for (int i = 0; i < 3 && !stop.stop_requested(); ++i) {
        if (store.checkpoint()) {
            checkpoint_owed.store(false);
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    checkpoint_owed.store(true);
    vrnum::detail::log_event(*log, spdlog::level::warn,
                             "write-ahead log not truncated after an erasure; retried at the "
                             "next run");
    return false;
}

erase_outcome service::impl::erase(std::int64_t id, std::optional<vrnum::unix_ms> cutoff,
                                   const std::stop_token& stop) {
    mail::mailer* m = mailer();
    if (m == nullptr) {
        throw std::runtime_error("no mailer to erase the account's mail with");
    }
    // Still asked for (a customer may cancel until the very end): checked in both writes.
    auto still_due = [&](vrnum::read_txn& txn) {
        return cutoff ? due_for_erasure(txn, id, *cutoff) : load_account(txn, id).has_value();
    };
    // The last mail to the address, sent (or given up) before the address is erased: the
    // erasure below takes its row and file with the rest. One notice, however many erasers:
    // the first queues it and records it on the account; every one waits for that mail.
    bool due = false;
    std::int64_t notice = 0;
    write_sync(
        store,
        [&](vrnum::write_txn& txn) {
            due = still_due(txn);
            if (!due) {
                return;
            }
            if (auto queued = erasure_notice(txn, id)) {
                notice = *queued;
                return;
            }
            auto a = load_account(txn, id);
            notice = m->enqueue(txn, {a->email, "deletion_completed", {}, id});
            set_erasure_notice(txn, id, notice);
        },
        "cannot queue the deletion notice");
    if (!due) {
        return erase_outcome::not_due;
    }
    m->wake();
    if (!await_notice(notice, opts.notice_wait, stop)) {
        return erase_outcome::interrupted;  // the next run takes it up
    }
    bool erased = false;
    std::vector<std::string> files;
    write_sync(
        store,
        [&](vrnum::write_txn& txn) {
            auto a = load_account(txn, id);
            if (!a || !still_due(txn)) {
                return;
            }
            for (const auto& hook : erasure_hooks) {
                hook(txn, id);
            }
            files = m->erase_account(txn, id, a->email);
            forget_pending_address(txn, a->email);
            delete_account_rows(txn, id);
            erased = true;
        },
        "cannot erase the account");
    if (!erased) {
        return erase_outcome::not_due;
    }
    m->forget(files);  // after the commit: a rolled-back erasure keeps its files
    // The erased rows' old page images leave the write-ahead log too.
    truncate_wal(stop);
    count(erased_counter);
    vrnum::detail::log_event(*log, spdlog::level::info, "account erased", {{"account_id", id}});
    return erase_outcome::erased;
}

std::optional<boost::json::object> service::export_account(std::int64_t id) {
    std::optional<json::object> doc;
    read_sync(
        impl_->store, [&](vrnum::read_txn& txn) { doc = impl_->export_in(txn, id); },
        "cannot read the account");
    return doc;
}

std::size_t service::erase_due(const std::stop_token& stop) {
    impl& m = *impl_;
    if (m.checkpoint_owed.load()) {
        m.truncate_wal(stop);
    }
    auto days = std::int64_t{m.cfg.retention.account_deletion_days};
    vrnum::unix_ms cutoff = m.now() - days * 86400 * 1000;
    std::vector<std::int64_t> due;
    read_sync(
        m.store, [&](vrnum::read_txn& txn) { due = accounts_due_for_erasure(txn, cutoff); },
        "cannot read the accounts");
    std::size_t erased = 0;
    for (std::int64_t id : due) {
        if (stop.stop_requested()) {
            break;
        }
        erased += m.erase(id, cutoff, stop) == erase_outcome::erased ? 1 : 0;
    }
    return erased;
}

bool service::wal_clean() const noexcept {
    return !impl_->checkpoint_owed.load();
}

std::optional<account> service::find(std::string_view email) {
    std::optional<account> a;
    read_sync(
        impl_->store, [&](vrnum::read_txn& txn) { a = find_account_by_email(txn, email); },
        "cannot read the accounts");
    return a;
}

vrnum::unix_ms service::schedule_erasure(std::int64_t id) {
    impl& m = *impl_;
    vrnum::unix_ms t = m.now();
    vrnum::unix_ms asked = t;
    write_sync(
        m.store,
        [&](vrnum::write_txn& txn) {
            auto a = load_account(txn, id);
            if (!a) {
                throw std::runtime_error("no such account");
            }
            asked = m.schedule_in(txn, *a, t);
        },
        "cannot schedule the erasure");
    if (auto* mailer = m.mailer()) {
        mailer->wake();
    }
    return m.erasure_time(asked);
}

bool service::erase_now(std::int64_t id) {
    return impl_->erase(id, std::nullopt, {}) == erase_outcome::erased;
}

std::size_t service::purge_expired() {
    impl& m = *impl_;
    vrnum::unix_ms t = m.now();
    std::int64_t idle = std::int64_t{m.cfg.auth.session_idle_minutes} * 60 * 1000;
    std::int64_t n = 0;
    write_sync(
        m.store,
        [&](vrnum::write_txn& txn) {
            n = purge_expired_tokens(txn, t) + purge_expired_sessions(txn, t, idle);
        },
        "cannot purge expired sessions");
    return static_cast<std::size_t>(n);
}

}  // namespace vrnumd::accounts
