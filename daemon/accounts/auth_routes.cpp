// The `/auth` routes: sign-up, email confirmation, login, logout, password reset.

#include <spdlog/logger.h>

#include "accounts/attribution_input.hpp"
#include "accounts/credential_store.hpp"
#include "accounts/password.hpp"
#include "accounts/service_impl.hpp"
#include "mail/mime.hpp"

namespace vrnumd::accounts {
namespace {

enum class confirm_outcome { invalid, confirmed, taken };

// The same answer whether or not the address has an account.
response check_your_email() {
    return api::reply(202, json::object{{"status", "check_your_email"}});
}

// An address fit to register and to mail; the problem noted otherwise.
std::optional<std::string> email_field(api::fields& f) {
    auto email = f.text("email", true, 254);
    if (email && !mail::valid_address(normalise_email(*email))) {
        f.problem("email", "is not a valid address");
        return std::nullopt;
    }
    if (email) {
        return normalise_email(*email);
    }
    return email;
}

}  // namespace

asio::awaitable<response> service::impl::do_register(request& req) {
    json::object body;
    if (auto r = open_auth(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto email = email_field(f);
    auto password = f.text("password", true, max_password_bytes);
    auto adult = f.boolean("age_confirmed", true);
    if (adult && !*adult) {
        f.problem("age_confirmed", "you must be 18 or older");
    }
    auto token = f.text("turnstile_token", false, 4096);
    const json::object* attr_in = f.object("attribution");
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (auto r = co_await weak_password(*password, *email)) {
        co_return *r;
    }
    if (auto r = co_await bot_check(req, token)) {
        co_return *r;
    }
    auto wait = opts.limiter->hit(account_key("register", *email),
                                  cfg.auth.rate_limit.failed_logins_per_account, account_window,
                                  rate_limiter::clock::now());
    if (wait) {
        co_return api::rate_limited(wait->count());
    }
    std::optional<attribution> attr;
    if (attr_in != nullptr) {
        attr = attribution_from(*attr_in, own_host);
    }
    // Hashed for a taken address too: both answers take the same time.
    auto hashed = co_await hash(*password);
    if (!hashed) {
        co_return store_error(hashed.error());
    }
    vrnum::unix_ms t = now();
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        if (auto id = create_account(txn, *email, *hashed, attr, t)) {
            std::string secret =
                issue_token(txn, *id, token_purpose::confirm_email, t, t + confirm_token_ms);
            enqueue(txn, *email, "confirm_email", {{"token", secret}, {"valid_hours", 24}}, *id);
        } else if (auto owner = find_account_by_email(txn, *email)) {
            enqueue(txn, owner->email, "signup_attempt", {}, owner->id);
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    mailer()->wake();
    co_return check_your_email();
}

asio::awaitable<response> service::impl::do_confirm_email(request& req) {
    json::object body;
    if (auto r = open_auth(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto token = f.text("token", true, 256);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    confirm_outcome outcome = confirm_outcome::invalid;
    vrnum::unix_ms t = now();
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        auto use = consume_token(txn, *token,
                                 {token_purpose::confirm_email, token_purpose::change_email}, t);
        if (!use) {
            return;
        }
        if (use->purpose == token_purpose::confirm_email) {
            set_email_confirmed(txn, use->account_id);
            outcome = confirm_outcome::confirmed;
        } else {
            outcome = apply_pending_email(txn, use->account_id) ? confirm_outcome::confirmed
                                                                : confirm_outcome::taken;
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (outcome == confirm_outcome::invalid) {
        co_return api::error(errc::validation, "token: is unknown, used or expired");
    }
    if (outcome == confirm_outcome::taken) {
        co_return api::error(errc::conflict, "that address now belongs to another account");
    }
    co_return api::reply(200, json::object{{"status", "confirmed"}});
}

asio::awaitable<response> service::impl::do_login(request& req) {
    json::object body;
    if (auto r = open_auth(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto email = f.text("email", true, 254);
    auto password = f.text("password", true, max_password_bytes);
    auto token = f.text("turnstile_token", false, 4096);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (auto r = co_await bot_check(req, token)) {
        co_return *r;
    }
    // Counted before the check and forgiven after a success: guesses sent at once cannot
    // all pass while the first ones are being hashed.
    std::string key = account_key("login", *email);
    auto limit = cfg.auth.rate_limit.failed_logins_per_account;
    if (auto wait = opts.limiter->hit(key, limit, account_window, rate_limiter::clock::now())) {
        count(logins_throttled);
        co_return api::rate_limited(wait->count());
    }
    auto a = co_await password_account(*email, *password);
    if (!a) {
        if (a.error() != errc::unauthorized) {
            co_return store_error(a.error());
        }
        count(logins_failure);
        co_return api::error(errc::unauthorized, "wrong email or password");
    }
    opts.limiter->reset(key);
    count(logins_success);
    co_return co_await start_session(*a);
}

asio::awaitable<vrnum::result<account>> service::impl::password_account(
    const std::string& email, const std::string& password) {
    std::optional<account> a;
    auto ec = co_await read([&](vrnum::read_txn& txn) { a = find_account_by_email(txn, email); });
    if (ec) {
        co_return ec;
    }
    vrnum::result<bool> good = false;
    if (a) {
        good = co_await check_password(password, a->password_hash);
    } else {
        // The same argon2 work as for a known address: the answer's timing tells nothing.
        auto dummy = [p = password] {
            verify_dummy(p);
            return false;
        };
        good = co_await on_pool<bool>(dummy);
        count(dummy_counter);
    }
    if (!good) {
        co_return good.error();
    }
    if (!*good) {
        co_return make_error_code(errc::unauthorized);
    }
    co_return std::move(*a);
}

asio::awaitable<response> service::impl::start_session(const account& a) {
    vrnum::unix_ms t = now();
    new_session s;
    auto absolute = std::int64_t{cfg.auth.session_absolute_hours} * 3600 * 1000;
    auto ec = co_await write(
        [&](vrnum::write_txn& txn) { s = create_session(txn, a.id, t, t + absolute); });
    if (ec) {
        co_return store_error(ec);
    }
    std::optional<vrnum::unix_ms> erasure;
    if (a.deletion_requested_at) {
        erasure = erasure_time(*a.deletion_requested_at);
    }
    auto r = api::reply(200, json::object{{"csrf_token", s.csrf_token},
                                          {"email_confirmed", a.email_confirmed},
                                          {"deletion_scheduled_at", api::time_or_null(erasure)}});
    r.set("Set-Cookie", session_cookie(s.id));
    co_return r;
}

asio::awaitable<response> service::impl::do_logout(request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return auth_error(who.error());
    }
    std::int64_t row = who->session_row, account = who->account_id;
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        if (row != 0) {
            end_session(txn, row);
        } else {
            end_sessions(txn, account);  // with an API key: what else could it mean
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    response r{.status = 204};
    r.set("Set-Cookie", cleared_cookie());
    co_return r;
}

asio::awaitable<response> service::impl::do_logout_all(request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return auth_error(who.error());
    }
    std::int64_t account = who->account_id;
    auto ec = co_await write([&](vrnum::write_txn& txn) { end_sessions(txn, account); });
    if (ec) {
        co_return store_error(ec);
    }
    response r{.status = 204};
    r.set("Set-Cookie", cleared_cookie());
    co_return r;
}

asio::awaitable<response> service::impl::do_reset_request(request& req) {
    json::object body;
    if (auto r = open_auth(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto email = f.text("email", true, 254);
    auto token = f.text("turnstile_token", false, 4096);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (auto r = co_await bot_check(req, token)) {
        co_return *r;
    }
    auto wait = opts.limiter->hit(account_key("reset", *email),
                                  cfg.auth.rate_limit.failed_logins_per_account, account_window,
                                  rate_limiter::clock::now());
    if (wait) {
        co_return api::rate_limited(wait->count());
    }
    vrnum::unix_ms t = now();
    // One write for a known and an unknown address alike: the same work, the same time.
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        if (auto a = find_account_by_email(txn, *email)) {
            std::string secret =
                issue_token(txn, a->id, token_purpose::reset_password, t, t + reset_token_ms);
            enqueue(txn, a->email, "password_reset", {{"token", secret}, {"valid_minutes", 60}},
                    a->id);
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    mailer()->wake();
    co_return check_your_email();
}

asio::awaitable<response> service::impl::do_reset_confirm(request& req) {
    json::object body;
    if (auto r = open_auth(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto token = f.text("token", true, 256);
    auto password = f.text("password", true, max_password_bytes);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    vrnum::unix_ms t = now();
    std::optional<account> a;
    auto ec = co_await read([&](vrnum::read_txn& txn) {
        if (auto id = peek_token(txn, *token, token_purpose::reset_password, t)) {
            a = load_account(txn, *id);
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (!a) {
        co_return api::error(errc::validation, "token: is unknown, used or expired");
    }
    if (auto r = co_await weak_password(*password, a->email)) {
        co_return *r;
    }
    auto hashed = co_await hash(*password);
    if (!hashed) {
        co_return store_error(hashed.error());
    }
    bool done = false;
    ec = co_await write([&](vrnum::write_txn& txn) {
        auto use = consume_token(txn, *token, {token_purpose::reset_password}, t);
        if (use && use->account_id == a->id) {
            set_password_hash(txn, a->id, *hashed);
            set_email_confirmed(txn, a->id);  // the link reached the inbox
            // Whoever held the account before the owner proved the inbox (e.g. someone who
            // signed up with another's address) keeps nothing: no session, no key, no change.
            end_sessions(txn, a->id);
            revoke_api_keys(txn, a->id);
            clear_pending_email(txn, a->id);
            done = true;
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (!done) {
        co_return api::error(errc::validation, "token: is unknown, used or expired");
    }
    opts.limiter->reset(account_key("login", a->email));  // the owner proved the inbox
    co_return api::reply(200, json::object{{"status", "password_changed"}});
}

}  // namespace vrnumd::accounts
