#include "mail/mailer.hpp"

#include <algorithm>
#include <array>
#include <random>
#include <set>
#include <stdexcept>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <pthread.h>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "log/json_log.hpp"
#include "mail/outbox_store.hpp"
#include "store_sync.hpp"

namespace vrnumd::mail {
namespace {

namespace asio = boost::asio;
using vrnum::detail::log_event;
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t batch_size = 32;
constexpr std::chrono::milliseconds slow_send{500};
constexpr vrnum::unix_ms purge_every_ms = 3600 * 1000;

// Exponential backoff with "equal jitter": half the step, plus up to the other half at
// random, so that mails failing together do not retry together.
vrnum::unix_ms backoff_ms(const mailer_options& o, int attempt) {
    double step = static_cast<double>(o.retry_base.count());
    for (int i = 1; i < attempt && step < static_cast<double>(o.retry_cap.count()); ++i) {
        step *= 2;
    }
    auto full =
        static_cast<vrnum::unix_ms>(std::min(step, static_cast<double>(o.retry_cap.count())));
    thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_int_distribution<vrnum::unix_ms> half(0, full / 2);
    return full - full / 2 + half(rng);
}

}  // namespace

struct mailer::worker {
    mailer& m;
    asio::io_context ioc{1};
    asio::steady_timer timer{ioc};
    std::atomic<bool> stopping{false};
    std::atomic<bool> woken{false};
    std::jthread thread;
    std::function<void()> on_stopped;  // set by async_stop before `stopping`
    // Attempts by outcome (sent, retry, dead); null without a registry.
    std::array<prometheus::Counter*, 3> attempts{};

    void count(send_result::outcome o) {
        if (auto* c = attempts[static_cast<std::size_t>(o)]) {
            c->Increment();
        }
    }

    vrnum::unix_ms now() const { return m.opts_.clock ? m.opts_.clock() : vrnum::now_unix_ms(); }

    asio::awaitable<boost::system::error_code> write(vrnum::store::write_fn fn) {
        auto [ec] = co_await m.store_.async_write(std::move(fn), use_tuple);
        co_return ec;
    }

    // Waits for `wake()`, `stop()` or the poll interval, whichever comes first.
    asio::awaitable<void> idle() {
        if (woken.exchange(false) || stopping) {
            co_return;
        }
        timer.expires_after(m.opts_.poll);
        co_await timer.async_wait(use_tuple);
        woken = false;
    }

    asio::awaitable<void> run() {
        vrnum::unix_ms last_purge = 0;
        bool failed = false;
        while (!stopping) {
            try {
                if (now() - last_purge >= purge_every_ms) {
                    co_await purge();
                    last_purge = now();
                }
                std::vector<queued_mail> due;
                vrnum::unix_ms t = now();
                auto [ec] = co_await m.store_.async_read(
                    [&](vrnum::read_txn& txn) { due = due_mail(txn, t, batch_size); }, use_tuple);
                if (ec) {
                    log_event(*m.log_, spdlog::level::err, "mail outbox unreadable",
                              {{"error", ec.message()}});
                }
                if (due.empty()) {
                    co_await idle();
                    continue;
                }
                for (const queued_mail& q : due) {
                    if (stopping) {
                        break;
                    }
                    auto started = std::chrono::steady_clock::now();
                    co_await deliver(q);
                    if (std::chrono::steady_clock::now() - started > slow_send) {
                        break;  // look again: a mail queued meanwhile goes before these retries
                    }
                }
            } catch (const std::exception& e) {
                log_event(*m.log_, spdlog::level::err, "mail worker failed", {{"error", e.what()}});
                failed = true;
            }
            if (failed) {
                failed = false;
                co_await idle();
            }
        }
    }

    asio::awaitable<void> purge() {
        std::vector<std::string> tokens;
        vrnum::unix_ms before = m.finished_cutoff();
        auto ec = co_await write(
            [&](vrnum::write_txn& txn) { tokens = purge_finished_mail(txn, before); });
        if (!ec) {
            m.transport_->erase(tokens);  // only once the rows are gone
        }
    }

    asio::awaitable<void> deliver(const queued_mail& q) {
        bool claimed = false;
        vrnum::unix_ms t = now();
        auto ec = co_await write([&](vrnum::write_txn& txn) {
            claimed = claim_mail(txn, q.id, q.due, t + m.opts_.lease.count());
        });
        if (ec || !claimed) {
            co_return;  // another worker has it, or the store is busy: it stays queued
        }
        const mail_claim claim{q.id, q.token, q.attempts + 1};
        std::optional<mailbox> to = q.unreadable ? std::nullopt : parse_mailbox(q.to);
        send_result r{send_result::outcome::dead,
                      q.unreadable ? "the row's sealed columns do not open with the key file"
                                   : "invalid recipient address"};
        if (to) {
            // A named value, not a temporary in the co_await: GCC 12 destroys those twice.
            const outgoing_mail out{q.id, q.token, m.from_, *to, q.content, t};
            try {
                r = co_await m.transport_->send(out);
            } catch (const std::exception& e) {
                r = {send_result::outcome::retry, e.what()};
            }
        }
        co_await record(q, claim, std::move(r));
    }

    // Commits `fn`, trying again while the store refuses (a full queue, a busy lock): a
    // result that is not recorded would send the mail again after the lease. Once stopping,
    // one more try, then the lease decides.
    asio::awaitable<boost::system::error_code> write_until_done(vrnum::store::write_fn fn) {
        std::chrono::milliseconds pause{50};
        for (;;) {
            bool last = stopping;
            auto ec = co_await write(fn);
            if (!ec || last) {
                co_return ec;
            }
            asio::steady_timer t(ioc, pause);
            co_await t.async_wait(use_tuple);
            pause = std::min(pause * 2, std::chrono::milliseconds(2000));
        }
    }

    asio::awaitable<void> record(const queued_mail& q, const mail_claim& claim, send_result r) {
        using outcome = send_result::outcome;
        if (r.what == outcome::retry && claim.attempts >= m.opts_.max_attempts) {
            r = {outcome::dead,
                 "gave up after " + std::to_string(claim.attempts) + " attempts: " + r.detail};
        }
        std::string detail = redact_addresses(r.detail);
        vrnum::unix_ms t = now();
        vrnum::unix_ms next = t + backoff_ms(m.opts_, claim.attempts);
        bool ours = true;
        auto ec = co_await write_until_done([&](vrnum::write_txn& txn) {
            ours = r.what == outcome::sent    ? mark_sent(txn, claim, t)
                   : r.what == outcome::retry ? mark_retry(txn, claim, next, detail)
                                              : mark_dead(txn, claim, t, detail);
        });
        if (!ec && !ours && r.what == outcome::sent) {
            m.transport_->erase({q.token});  // the account was erased while this was sent
        }
        count(r.what);
        log_result(q, claim, r.what, detail, r.what == outcome::retry ? next - t : 0, !ec && ours);
    }

    void log_result(const queued_mail& q, const mail_claim& claim, send_result::outcome what,
                    const std::string& detail, vrnum::unix_ms retry_in, bool recorded) {
        using outcome = send_result::outcome;
        auto level = what == outcome::sent    ? spdlog::level::info
                     : what == outcome::retry ? spdlog::level::warn
                                              : spdlog::level::err;
        const char* msg = what == outcome::sent    ? "mail sent"
                          : what == outcome::retry ? "mail send failed, will retry"
                                                   : "mail dead";
        log_event(*m.log_, level, msg,
                  {{"mail_id", q.id},
                   {"template", q.template_name},
                   {"transport", m.transport_->name()},
                   {"attempt", claim.attempts},
                   {"detail", detail},
                   {"retry_in_ms", retry_in},
                   {"recorded", recorded}});
    }
};

mailer::mailer(vrnum::store& store, const transport_factory& make, const template_set& templates,
               mailbox from, site_values site, std::shared_ptr<spdlog::logger> log,
               mailer_options opts)
    : store_(store),
      templates_(templates),
      from_(std::move(from)),
      site_(std::move(site)),
      log_(std::move(log)),
      opts_(std::move(opts)),
      worker_(std::make_unique<worker>(*this)),
      transport_(make(worker_->ioc.get_executor())) {}

mailer::~mailer() {
    stop();
}

std::int64_t mailer::enqueue(vrnum::write_txn& txn, const mail_request& r) const {
    if (!valid_address(r.to)) {
        throw std::invalid_argument("mail: invalid recipient address");
    }
    rendered_mail content = templates_.render(r.template_name, r.params, site_);
    vrnum::unix_ms t = opts_.clock ? opts_.clock() : vrnum::now_unix_ms();
    return insert_mail(txn, {r.to, r.template_name, std::move(content), r.account_id}, t);
}

std::vector<std::string> mailer::erase_account(vrnum::write_txn& txn, std::int64_t account_id,
                                               std::string_view address) {
    return erase_account_mail(txn, account_id, address);
}

void mailer::forget(const std::vector<std::string>& tokens) {
    transport_->erase(tokens);
}

vrnum::unix_ms mailer::finished_cutoff() const {
    vrnum::unix_ms now = opts_.clock ? opts_.clock() : vrnum::now_unix_ms();
    return now - std::chrono::duration_cast<std::chrono::milliseconds>(opts_.keep_finished).count();
}

std::size_t mailer::purge_finished() {
    // Listed before the rows are read: a copy listed whose row is gone by then is an orphan.
    std::vector<std::string> copies = transport_->kept();
    std::vector<std::string> tokens;
    vrnum::unix_ms before = finished_cutoff();
    write_sync(
        store_, [&](vrnum::write_txn& txn) { tokens = purge_finished_mail(txn, before); },
        "cannot purge the mail outbox");
    transport_->erase(tokens);
    std::size_t purged = tokens.size();
    if (!copies.empty()) {
        std::set<std::string> rows;
        read_sync(
            store_, [&](vrnum::read_txn& txn) { rows = all_mail_tokens(txn); },
            "cannot read the mail outbox");
        std::erase_if(copies, [&](const std::string& t) { return rows.contains(t); });
        transport_->erase(copies);
    }
    return purged;
}

void mailer::wake() {
    worker_->woken = true;
    asio::post(worker_->ioc, [w = worker_.get()] { w->timer.cancel(); });
}

void mailer::start() {
    if (started_) {
        return;
    }
    started_ = true;
    if (opts_.registry) {
        auto& family = prometheus::BuildCounter()
                           .Name("vrnum_mail_attempts_total")
                           .Help("Mail send attempts by transport and outcome")
                           .Register(*opts_.registry);
        std::string t(transport_->name());
        worker_->attempts = std::array<prometheus::Counter*, 3>{
            &family.Add({{"transport", t}, {"outcome", "sent"}}),
            &family.Add({{"transport", t}, {"outcome", "retry"}}),
            &family.Add({{"transport", t}, {"outcome", "dead"}})};
    }
    asio::co_spawn(worker_->ioc, worker_->run(), [w = worker_.get()](std::exception_ptr) {
        if (w->on_stopped) {
            w->on_stopped();
        }
    });
    worker_->thread = std::jthread([w = worker_.get()] {
        pthread_setname_np(pthread_self(), "vrnum-mail");
        w->ioc.run();
    });
}

void mailer::stop() {
    if (!started_) {
        return;
    }
    worker_->stopping = true;
    asio::post(worker_->ioc, [w = worker_.get()] { w->timer.cancel(); });
    if (worker_->thread.joinable()) {
        worker_->thread.join();
    }
}

void mailer::async_stop(std::function<void()> done) {
    if (!started_ || worker_->stopping) {
        done();
        return;
    }
    worker_->on_stopped = std::move(done);  // read by the worker's thread once it stops
    worker_->stopping = true;
    asio::post(worker_->ioc, [w = worker_.get()] { w->timer.cancel(); });
}

std::string_view mailer::transport_name() const {
    return transport_->name();
}

}  // namespace vrnumd::mail
