#include <boost/asio/ip/address.hpp>
#include <boost/url/parse.hpp>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include <vrnum/time.hpp>

#include "accounts/credential_store.hpp"
#include "accounts/password.hpp"
#include "accounts/secrets.hpp"
#include "accounts/service_impl.hpp"
#include "crypto/encoding.hpp"
#include "log/json_log.hpp"
#include "store_async.hpp"
#include "text/ascii.hpp"

namespace vrnumd::accounts {
namespace {

// scheme://host[:port] as browsers send it in `Origin` (the port only when not the default).
std::string origin_of(const std::string& base_url) {
    auto u = boost::urls::parse_absolute_uri(base_url);
    if (!u) {
        return {};
    }
    std::string o = std::string(u->scheme()) + "://" + std::string(u->encoded_host_and_port());
    for (char& c : o) {
        c = vrnum::detail::ascii_lower(c);
    }
    for (std::string_view def : {":80", ":443"}) {
        bool matches =
            (def == ":80" && u->scheme() == "http") || (def == ":443" && u->scheme() == "https");
        if (matches && o.ends_with(def)) {
            o.resize(o.size() - def.size());
        }
    }
    return o;
}

std::string host_of(const std::string& base_url) {
    auto u = boost::urls::parse_absolute_uri(base_url);
    return u ? std::string(u->host_address()) : std::string();
}

// The rate-limit key of a client IP: an IPv6 client is counted by its /64, which one
// subscriber usually holds whole.
std::string ip_key(const std::string& ip) {
    boost::system::error_code ec;
    auto a = boost::asio::ip::make_address(ip, ec);
    if (ec || !a.is_v6() || a.to_v6().is_v4_mapped()) {
        return "ip:" + ip;
    }
    auto bytes = a.to_v6().to_bytes();
    return "ip6:" + vrnum::detail::encode_hex(
                        std::string_view(reinterpret_cast<const char*>(bytes.data()), 8));
}

}  // namespace

response store_error(const boost::system::error_code& ec) {
    if (ec == errc::overloaded || ec == errc::unavailable) {
        auto r = vrnum::http::error_response(ec, "the service is busy; try again shortly");
        r.set("Retry-After", "1");
        return r;
    }
    return vrnum::http::error_response(ec, "the request could not be completed");
}

response auth_error(const boost::system::error_code& ec) {
    if (ec == errc::csrf) {
        return api::error(errc::csrf, "a missing or wrong X-CSRF-Token or Origin");
    }
    if (ec == errc::unauthorized) {
        return api::error(errc::unauthorized, "log in first, or send a valid API key");
    }
    return store_error(ec);
}

service::impl::impl(service& owner, vrnum::store& st, const daemon_config& c,
                    std::shared_ptr<spdlog::logger> l, prometheus::Registry* registry,
                    asio::any_io_executor ex, service_options o)
    : self(owner),
      store(st),
      cfg(c),
      log(std::move(l)),
      opts(std::move(o)),
      hash_pool(std::max(1U, opts.hash_threads)),
      turnstile(std::move(ex), c.auth.turnstile, c.http_client) {
    if (!opts.clock) {
        opts.clock = vrnum::now_unix_ms;
    }
    if (!opts.limiter) {
        opts.limiter = std::make_shared<memory_rate_limiter>();
    }
    if (registry != nullptr) {
        dummy_counter = &prometheus::BuildCounter()
                             .Name("vrnum_auth_dummy_password_checks_total")
                             .Help("Logins for unknown addresses that ran the dummy argon2 check")
                             .Register(*registry)
                             .Add({});
        auto& logins = prometheus::BuildCounter()
                           .Name("vrnum_auth_logins_total")
                           .Help("Login attempts by outcome")
                           .Register(*registry);
        logins_success = &logins.Add({{"outcome", "success"}});
        logins_failure = &logins.Add({{"outcome", "failure"}});
        logins_throttled = &logins.Add({{"outcome", "throttled"}});
        erased_counter = &prometheus::BuildCounter()
                              .Name("vrnum_accounts_erased_total")
                              .Help("Accounts erased (their deletion window over, or at once)")
                              .Register(*registry)
                              .Add({});
    }
}

asio::awaitable<boost::system::error_code> service::impl::read(vrnum::store::read_fn fn) {
    return read_job(store, std::move(fn));
}

asio::awaitable<boost::system::error_code> service::impl::write(vrnum::store::write_fn fn) {
    return write_job(store, std::move(fn));
}

asio::awaitable<vrnum::result<bool>> service::impl::check_password(const std::string& password,
                                                                   const std::string& hash) {
    auto job = [p = password, h = hash] { return verify_password(p, h); };
    auto r = co_await on_pool<bool>(job);
    co_return r;
}

asio::awaitable<std::optional<response>> service::impl::weak_password(const std::string& password,
                                                                      const std::string& email,
                                                                      std::string_view field) {
    auto job = [p = password, e = email] { return password_problem(p, e); };
    auto why = co_await on_pool<std::optional<std::string>>(job);
    if (!why) {
        co_return store_error(why.error());
    }
    if (*why) {
        co_return api::error(errc::validation, std::string(field) + ": " + **why);
    }
    co_return std::nullopt;
}

asio::awaitable<vrnum::result<std::string>> service::impl::hash(const std::string& password) {
    auto job = [p = password] { return hash_password(p); };
    auto r = co_await on_pool<std::string>(job);
    co_return r;
}

void service::impl::enqueue(vrnum::write_txn& txn, std::string to, const char* name,
                            json::object params, std::int64_t account_id) {
    mail::mailer* m = mailer();
    if (m == nullptr) {
        throw boost::system::system_error(make_error_code(errc::unavailable));
    }
    m->enqueue(txn, {std::move(to), name, std::move(params), account_id});
}

asio::awaitable<std::optional<response>> authenticate_with_body(service& accounts,
                                                                const request& req, principal& who,
                                                                json::object& body) {
    auto r = co_await accounts.authenticate(req);
    if (!r) {
        co_return auth_error(r.error());
    }
    who = std::move(*r);
    co_return api::read_object(req, body);
}

bool service::notify(vrnum::write_txn& txn, std::int64_t id, const std::string& template_name,
                     json::object params) const {
    mail::mailer* m = mailer_.load();
    auto a = m ? load_account(txn, id) : std::nullopt;
    if (!a) {
        return false;
    }
    m->enqueue(txn, {a->email, template_name, std::move(params), id});
    return true;
}

std::optional<response> service::impl::ip_limited(const request& req) {
    auto wait = opts.limiter->hit(ip_key(req.client_ip), cfg.auth.rate_limit.per_ip_per_minute,
                                  std::chrono::seconds(60), rate_limiter::clock::now());
    if (wait) {
        return api::rate_limited(wait->count());
    }
    return std::nullopt;
}

std::string service::impl::account_key(std::string_view kind, std::string_view email) {
    std::string h = secret_hash(normalise_email(email));
    return std::string(kind) + ":" + vrnum::detail::encode_hex(h);
}

asio::awaitable<std::optional<response>> service::impl::bot_check(
    const request& req, const std::optional<std::string>& token) {
    if (!turnstile.enabled()) {
        co_return std::nullopt;
    }
    const std::string given = token.value_or("");  // named: no temporary in the co_await
    turnstile_outcome out = co_await turnstile.verify(given, req.client_ip);
    if (out == turnstile_outcome::passed) {
        co_return std::nullopt;
    }
    if (out == turnstile_outcome::failed) {
        co_return api::error(errc::forbidden, "the bot check failed; solve it again");
    }
    vrnum::detail::log_event(*log, spdlog::level::warn, "turnstile siteverify unavailable");
    auto r = api::error(errc::unavailable, "the bot check is unavailable; try again shortly");
    r.set("Retry-After", "5");
    co_return r;
}

std::optional<response> service::impl::foreign_origin(const request& req) const {
    std::string_view o = req.header("Origin");
    if (o.empty() || vrnum::detail::iequals_ascii(o, origin)) {
        return std::nullopt;
    }
    return api::error(errc::csrf, "a request from another site");
}

std::optional<response> service::impl::open_auth(const request& req, json::object& body) {
    if (auto r = ip_limited(req)) {
        return r;
    }
    if (auto r = foreign_origin(req)) {
        return r;
    }
    return api::read_object(req, body);
}

std::string service::impl::session_cookie(const std::string& id) const {
    auto max_age = std::int64_t{cfg.auth.session_absolute_hours} * 3600;
    return cookie_name + "=" + id + "; Path=/; Max-Age=" + std::to_string(max_age) +
           "; HttpOnly; SameSite=Lax" + (secure ? "; Secure" : "");
}

std::string service::impl::cleared_cookie() const {
    return cookie_name + "=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax" +
           (secure ? "; Secure" : "");
}

vrnum::unix_ms service::impl::erasure_time(vrnum::unix_ms asked) const {
    return asked + std::int64_t{cfg.retention.account_deletion_days} * 86400 * 1000;
}

json::object service::impl::me_json(const account& a, const std::string& csrf) const {
    json::value attr = nullptr;
    if (a.attribution_data) {
        const attribution& t = *a.attribution_data;
        auto v = [](const std::string& s) -> json::value {
            return s.empty() ? json::value(nullptr) : json::value(s);
        };
        attr = json::object{
            {"utm_source", v(t.utm_source)},     {"utm_medium", v(t.utm_medium)},
            {"utm_campaign", v(t.utm_campaign)}, {"utm_term", v(t.utm_term)},
            {"utm_content", v(t.utm_content)},   {"referrer_host", v(t.referrer_host)}};
    }
    std::optional<vrnum::unix_ms> erasure;
    if (a.deletion_requested_at) {
        erasure = erasure_time(*a.deletion_requested_at);
    }
    return {{"id", a.id},
            {"email", a.email},
            {"email_confirmed", a.email_confirmed},
            {"created_at", vrnum::format_rfc3339(a.created_at)},
            {"marketing_opt_in", a.marketing_opt_in},
            {"attribution", std::move(attr)},
            {"attribution_objection", a.attribution_objection},
            {"pending_email", a.pending_email ? json::value(*a.pending_email) : nullptr},
            {"deletion_scheduled_at", api::time_or_null(erasure)},
            {"csrf_token", csrf}};
}

asio::awaitable<response> service::impl::serve(request& req,
                                               asio::awaitable<response> (impl::*fn)(request&)) {
    if (!attached.load(std::memory_order_acquire)) {
        co_return store_error(make_error_code(errc::unavailable));
    }
    co_return co_await (this->*fn)(req);
}

asio::awaitable<vrnum::result<principal>> service::authenticate(const request& req) {
    impl& m = *impl_;
    if (!m.attached.load(std::memory_order_acquire)) {
        co_return make_error_code(errc::unavailable);
    }
    vrnum::unix_ms now = m.now();
    std::string_view auth = req.header("Authorization");
    if (!auth.empty()) {
        std::string_view key = auth.starts_with("Bearer ") ? vrnum::detail::trim_ows(auth.substr(7))
                                                           : std::string_view();
        std::optional<api_key_use> found;
        std::string k(key);
        auto ec = co_await m.read([&](vrnum::read_txn& txn) { found = find_api_key(txn, k); });
        if (ec) {
            co_return ec;
        }
        if (!found) {
            co_return make_error_code(errc::unauthorized);
        }
        // Last use, to the minute, written without holding up the request.
        if (now - found->last_used_at >= touch_every_ms) {
            m.store.write(
                [id = found->id, now](vrnum::write_txn& txn) { touch_api_key(txn, id, now); },
                [](boost::system::error_code) {});
        }
        co_return principal{found->account_id, 0, found->id, {}};
    }
    std::string id(api::cookie(req, m.cookie_name));
    if (id.empty()) {
        co_return make_error_code(errc::unauthorized);
    }
    std::optional<session_info> s;
    std::int64_t idle = std::int64_t{m.cfg.auth.session_idle_minutes} * 60 * 1000;
    auto ec = co_await m.read([&](vrnum::read_txn& txn) { s = find_session(txn, id, now, idle); });
    if (ec) {
        co_return ec;
    }
    if (!s) {
        co_return make_error_code(errc::unauthorized);
    }
    bool safe = req.method == "GET" || req.method == "HEAD";
    if (!safe) {
        std::string_view origin = req.header("Origin");
        std::string_view token = req.header("X-CSRF-Token");
        if (origin.empty() || !vrnum::detail::iequals_ascii(origin, m.origin) ||
            !equal_secrets(token, s->csrf_token)) {
            co_return make_error_code(errc::csrf);
        }
    }
    if (now - s->last_seen_at >= touch_every_ms) {
        m.store.write([row = s->row, now](vrnum::write_txn& txn) { touch_session(txn, row, now); },
                      [](boost::system::error_code) {});
    }
    co_return principal{s->account_id, s->row, 0, std::move(s->csrf_token)};
}

service::service(vrnum::store& store, const daemon_config& cfg, std::shared_ptr<spdlog::logger> log,
                 prometheus::Registry* registry, asio::any_io_executor ex, service_options opts)
    : impl_(std::make_unique<impl>(*this, store, cfg, std::move(log), registry, std::move(ex),
                                   std::move(opts))) {}

void service::attach(mail::mailer* m, std::string base_url) {
    impl& i = *impl_;
    mailer_.store(m);
    i.base_url = std::move(base_url);
    i.origin = origin_of(i.base_url);
    i.own_host = host_of(i.base_url);
    i.secure = i.base_url.starts_with("https://");
    i.cookie_name = i.secure ? "__Host-vrnum_session" : "vrnum_session";
    i.attached.store(true, std::memory_order_release);
}

service::~service() {
    impl_->hash_pool.join();
}

void service::add_export_section(export_section s) {
    impl_->sections.push_back(std::move(s));
}

void service::add_erasure_hook(erasure_hook h) {
    impl_->erasure_hooks.push_back(std::move(h));
}

std::vector<vrnum::http::route> service::routes() {
    impl* m = impl_.get();
    auto on = [m](std::string method, std::string path,
                  asio::awaitable<response> (impl::*fn)(request&)) {
        return vrnum::http::route{std::move(method),
                                  "/api/v1" + std::move(path),
                                  [m, fn](request& req) { return m->serve(req, fn); },
                                  {}};
    };
    return {
        on("POST", "/auth/register", &impl::do_register),
        on("POST", "/auth/confirm-email", &impl::do_confirm_email),
        on("POST", "/auth/login", &impl::do_login),
        on("POST", "/auth/logout", &impl::do_logout),
        on("POST", "/auth/logout-all", &impl::do_logout_all),
        on("POST", "/auth/password-reset/request", &impl::do_reset_request),
        on("POST", "/auth/password-reset/confirm", &impl::do_reset_confirm),
        on("GET", "/me", &impl::do_get_me),
        on("PATCH", "/me", &impl::do_patch_me),
        on("DELETE", "/me", &impl::do_delete_me),
        on("POST", "/me/password", &impl::do_change_password),
        on("POST", "/me/cancel-deletion", &impl::do_cancel_deletion),
        on("GET", "/me/export", &impl::do_export),
        on("POST", "/api-keys", &impl::do_create_key),
        on("GET", "/api-keys", &impl::do_list_keys),
        on("DELETE", "/api-keys/{id}", &impl::do_revoke_key),
    };
}

}  // namespace vrnumd::accounts
