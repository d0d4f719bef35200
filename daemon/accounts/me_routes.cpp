// The `/me` and `/api-keys` routes: the customer's own data, its rectification, export and
// erasure, and API keys.

#include <vrnum/time.hpp>

#include "accounts/credential_store.hpp"
#include "accounts/password.hpp"
#include "accounts/service_impl.hpp"
#include "mail/mime.hpp"

namespace vrnumd::accounts {
namespace {

// "j***@example.com": enough for the owner to recognise, little for anyone else.
std::string address_hint(std::string_view email) {
    std::size_t at = email.rfind('@');
    if (at == std::string_view::npos || at == 0) {
        return "***";
    }
    return std::string(email.substr(0, 1)) + "***" + std::string(email.substr(at));
}

}  // namespace

asio::awaitable<std::optional<response>> service::impl::confirm_password(
    const account& a, const std::string& password) {
    // Counted with failed logins: a stolen session must not become a password oracle.
    std::string key = account_key("login", a.email);
    auto limit = cfg.auth.rate_limit.failed_logins_per_account;
    if (auto wait = opts.limiter->hit(key, limit, account_window, rate_limiter::clock::now())) {
        co_return api::rate_limited(wait->count());
    }
    auto good = co_await check_password(password, a.password_hash);
    if (!good) {
        co_return store_error(good.error());
    }
    if (!*good) {
        co_return api::error(errc::forbidden, "password: is wrong");
    }
    opts.limiter->reset(key);
    co_return std::nullopt;
}

asio::awaitable<vrnum::result<std::pair<principal, account>>> service::impl::caller(
    const request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return who.error();
    }
    std::optional<account> a;
    std::int64_t id = who->account_id;
    auto ec = co_await read([&](vrnum::read_txn& txn) { a = load_account(txn, id); });
    if (ec) {
        co_return ec;
    }
    if (!a) {
        co_return make_error_code(errc::unauthorized);
    }
    co_return std::pair{std::move(*who), std::move(*a)};
}

asio::awaitable<response> service::impl::do_get_me(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    co_return api::reply(200, me_json(c->second, c->first.csrf_token));
}

asio::awaitable<response> service::impl::do_patch_me(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    auto& [who, a] = *c;
    json::object body;
    if (auto r = api::read_object(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto email = f.text("email", false, 254);
    auto password = f.text("password", email.has_value(), max_password_bytes);
    auto marketing = f.boolean("marketing_opt_in", false);
    auto objection = f.boolean("attribution_objection", false);
    if (email) {
        *email = normalise_email(*email);
        if (!mail::valid_address(*email)) {
            f.problem("email", "is not a valid address");
        } else if (*email == a.email) {
            f.problem("email", "is already the account's address");
        }
    }
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (email) {
        if (auto r = co_await confirm_password(a, *password)) {
            co_return *r;
        }
    }
    vrnum::unix_ms t = now();
    std::optional<account> updated;
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        if (marketing) {
            set_marketing_opt_in(txn, a.id, *marketing);
        }
        if (objection) {
            set_attribution_objection(txn, a.id, *objection);
        }
        if (email) {
            set_pending_email(txn, a.id, *email);
            std::string secret =
                issue_token(txn, a.id, token_purpose::change_email, t, t + confirm_token_ms);
            enqueue(txn, *email, "email_change", {{"token", secret}, {"valid_hours", 24}}, a.id);
            enqueue(txn, a.email, "email_change_notice", {{"new_email_hint", address_hint(*email)}},
                    a.id);
        }
        updated = load_account(txn, a.id);
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (email) {
        mailer()->wake();
    }
    co_return api::reply(200, me_json(updated.value_or(a), who.csrf_token));
}

asio::awaitable<response> service::impl::do_change_password(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    auto& [who, a] = *c;
    json::object body;
    if (auto r = api::read_object(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto current = f.text("current_password", true, max_password_bytes);
    auto fresh = f.text("new_password", true, max_password_bytes);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (auto r = co_await confirm_password(a, *current)) {
        co_return *r;
    }
    if (auto r = co_await weak_password(*fresh, a.email, "new_password")) {
        co_return *r;
    }
    auto hashed = co_await hash(*fresh);
    if (!hashed) {
        co_return store_error(hashed.error());
    }
    std::int64_t keep = who.session_row;
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        set_password_hash(txn, a.id, *hashed);
        end_sessions(txn, a.id, keep);  // every other session ends
    });
    if (ec) {
        co_return store_error(ec);
    }
    co_return api::reply(200, json::object{{"status", "password_changed"}});
}

asio::awaitable<response> service::impl::do_delete_me(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    auto& a = c->second;
    json::object body;
    if (auto r = api::read_object(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto password = f.text("password", true, max_password_bytes);
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (auto r = co_await confirm_password(a, *password)) {
        co_return *r;
    }
    vrnum::unix_ms t = now();
    vrnum::unix_ms asked = t;
    auto ec = co_await write([&](vrnum::write_txn& txn) { asked = schedule_in(txn, a, t); });
    if (ec) {
        co_return store_error(ec);
    }
    mailer()->wake();
    auto r = api::reply(
        202, json::object{{"deletion_scheduled_at", vrnum::format_rfc3339(erasure_time(asked))}});
    r.set("Set-Cookie", cleared_cookie());
    co_return r;
}

asio::awaitable<response> service::impl::do_cancel_deletion(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    auto& [who, a] = *c;
    bool cancelled = false;
    std::optional<account> updated;
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        cancelled = cancel_deletion(txn, a.id);
        updated = load_account(txn, a.id);
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (!cancelled) {
        co_return api::error(errc::conflict, "the erasure has begun and cannot be cancelled");
    }
    co_return api::reply(200, me_json(updated.value_or(a), who.csrf_token));
}

asio::awaitable<response> service::impl::do_export(request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return auth_error(who.error());
    }
    std::optional<json::object> doc;
    std::int64_t id = who->account_id;
    auto ec = co_await read([&](vrnum::read_txn& txn) { doc = export_in(txn, id); });
    if (ec) {
        co_return store_error(ec);
    }
    if (!doc) {
        co_return auth_error(make_error_code(errc::unauthorized));
    }
    auto r = api::reply(200, *doc);
    r.set("Content-Disposition", "attachment; filename=\"vrnum-export.json\"");
    co_return r;
}

asio::awaitable<response> service::impl::do_create_key(request& req) {
    auto c = co_await caller(req);
    if (!c) {
        co_return auth_error(c.error());
    }
    auto& a = c->second;
    json::object body;
    if (auto r = api::read_object(req, body)) {
        co_return *r;
    }
    api::fields f(body);
    auto name = f.text("name", true, max_api_key_name);
    auto password = f.text("password", true, max_password_bytes);
    if (name && name->find_first_not_of(" \t") == std::string::npos) {
        f.problem("name", "is empty");
    }
    if (!f.ok()) {
        co_return api::error(errc::validation, f.detail());
    }
    if (!a.email_confirmed) {
        // Keys outlive sessions: only the proven owner of the address may make one.
        co_return api::error(errc::forbidden, "confirm your email address first");
    }
    if (auto r = co_await confirm_password(a, *password)) {
        co_return *r;
    }
    vrnum::unix_ms t = now();
    std::optional<std::pair<std::int64_t, std::string>> made;
    auto ec = co_await write([&](vrnum::write_txn& txn) {
        if (list_api_keys(txn, a.id).size() < max_api_keys) {
            made = create_api_key(txn, a.id, *name, t);
        }
    });
    if (ec) {
        co_return store_error(ec);
    }
    if (!made) {
        co_return api::error(errc::conflict, "an account holds at most " +
                                                 std::to_string(max_api_keys) + " API keys");
    }
    co_return api::reply(201, json::object{{"id", made->first},
                                           {"key", made->second},
                                           {"name", *name},
                                           {"created_at", vrnum::format_rfc3339(t)}});
}

asio::awaitable<response> service::impl::do_list_keys(request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return auth_error(who.error());
    }
    json::array items;
    std::int64_t id = who->account_id;
    auto ec = co_await read([&](vrnum::read_txn& txn) { items = api_keys_json(txn, id); });
    if (ec) {
        co_return store_error(ec);
    }
    co_return api::reply(200, json::object{{"items", std::move(items)}, {"next_cursor", nullptr}});
}

asio::awaitable<response> service::impl::do_revoke_key(request& req) {
    auto who = co_await self.authenticate(req);
    if (!who) {
        co_return auth_error(who.error());
    }
    auto key = api::path_id(req, "id");
    if (!key) {
        co_return api::error(errc::not_found, "no such API key");
    }
    bool gone = false;
    std::int64_t account = who->account_id;
    auto ec =
        co_await write([&](vrnum::write_txn& txn) { gone = revoke_api_key(txn, account, *key); });
    if (ec) {
        co_return store_error(ec);
    }
    if (!gone) {
        co_return api::error(errc::not_found, "no such API key");
    }
    co_return response{.status = 204};
}

}  // namespace vrnumd::accounts
