#include "api/json_io.hpp"

#include <charconv>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>

#include <vrnum/time.hpp>

#include "text/ascii.hpp"

namespace vrnumd::api {

namespace json = boost::json;

vrnum::result<json::object> parse_object(const vrnum::http::request& req) {
    if (req.body.empty()) {
        return json::object{};
    }
    std::string_view type = req.header("Content-Type");
    std::string_view media = vrnum::detail::trim_ows(type.substr(0, type.find(';')));
    if (!vrnum::detail::iequals_ascii(media, "application/json")) {
        return make_error_code(vrnum::errc::unsupported_media_type);
    }
    boost::system::error_code ec;
    json::value v = json::parse(req.body, ec);
    if (ec || !v.is_object()) {
        return make_error_code(vrnum::errc::malformed);
    }
    return std::move(v.get_object());
}

std::optional<vrnum::http::response> read_object(const vrnum::http::request& req,
                                                 json::object& out) {
    auto body = parse_object(req);
    if (!body) {
        return vrnum::http::error_response(body.error(), "the body must be a JSON object");
    }
    out = std::move(*body);
    return std::nullopt;
}

const json::value* fields::get(std::string_view name, bool required) {
    const json::value* v = o_.if_contains(name);
    if (v == nullptr || v->is_null()) {
        if (required) {
            problem(name, "is required");
        }
        return nullptr;
    }
    return v;
}

std::optional<std::string> fields::text(std::string_view name, bool required,
                                        std::size_t max_bytes) {
    const json::value* v = get(name, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_string()) {
        problem(name, "must be a string");
        return std::nullopt;
    }
    if (v->get_string().size() > max_bytes) {
        problem(name, "is longer than " + std::to_string(max_bytes) + " bytes");
        return std::nullopt;
    }
    return std::string(v->get_string());
}

std::optional<bool> fields::boolean(std::string_view name, bool required) {
    const json::value* v = get(name, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_bool()) {
        problem(name, "must be true or false");
        return std::nullopt;
    }
    return v->get_bool();
}

std::optional<std::int64_t> fields::integer(std::string_view name, bool required) {
    const json::value* v = get(name, required);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (v->is_int64()) {
        return v->get_int64();
    }
    problem(name, "must be an integer");
    return std::nullopt;
}

const json::object* fields::object(std::string_view name) {
    const json::value* v = get(name, false);
    if (v != nullptr && !v->is_object()) {
        problem(name, "must be an object");
        return nullptr;
    }
    return v ? &v->get_object() : nullptr;
}

void fields::problem(std::string_view name, std::string_view what) {
    problems_.push_back(std::string(name) + ": " + std::string(what));
}

std::string fields::detail() const {
    std::string d;
    for (const auto& p : problems_) {
        d += d.empty() ? "" : "; ";
        d += p;
    }
    return d;
}

vrnum::http::response error(vrnum::errc code, std::string_view detail) {
    return vrnum::http::error_response(make_error_code(code), detail);
}

vrnum::http::response reply(unsigned status, const json::value& body) {
    auto r = vrnum::http::json_response(status, json::serialize(body));
    // Answers about an account are never stored by a cache on the way.
    r.set("Cache-Control", "no-store");
    return r;
}

vrnum::http::response rate_limited(std::int64_t retry_after_seconds) {
    auto r = error(vrnum::errc::rate_limited, "too many requests; try again later");
    r.set("Retry-After", std::to_string(retry_after_seconds));
    return r;
}

std::string_view cookie(const vrnum::http::request& req, std::string_view name) {
    for (const auto& [k, v] : req.headers) {
        if (!vrnum::detail::iequals_ascii(k, "Cookie")) {
            continue;
        }
        std::string_view rest = v;
        while (!rest.empty()) {
            std::size_t semi = rest.find(';');
            std::string_view pair = vrnum::detail::trim_ows(rest.substr(0, semi));
            rest = semi == std::string_view::npos ? std::string_view() : rest.substr(semi + 1);
            std::size_t eq = pair.find('=');
            if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
                return pair.substr(eq + 1);
            }
        }
    }
    return {};
}

std::optional<std::string> query_param(const vrnum::http::request& req, std::string_view name) {
    auto u = boost::urls::parse_origin_form(req.target);
    if (!u) {
        return std::nullopt;
    }
    for (const auto& p : u->params()) {
        if (p.key == name) {
            return std::string(p.value);
        }
    }
    return std::nullopt;
}

std::optional<std::int64_t> decimal(std::string_view s) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || s[0] == '-' || ec != std::errc() || end != s.data() + s.size()) {
        return std::nullopt;
    }
    return v;
}

std::optional<std::int64_t> path_id(const vrnum::http::request& req, std::string_view name) {
    auto it = req.params.find(name);
    auto v = it == req.params.end() ? std::nullopt : decimal(it->second);
    return v && *v > 0 ? v : std::nullopt;
}

std::optional<page> page_of(const vrnum::http::request& req, vrnum::http::response& error) {
    page p;
    if (auto b = query_param(req, "before")) {
        auto v = decimal(*b);
        if (!v) {
            error =
                api::error(vrnum::errc::validation, "before: must be a cursor from next_cursor");
            return std::nullopt;
        }
        p.before = *v;
    }
    if (auto l = query_param(req, "limit")) {
        auto v = decimal(*l);
        if (!v || *v < 1 || *v > 200) {
            error = api::error(vrnum::errc::validation, "limit: must be 1 to 200");
            return std::nullopt;
        }
        p.limit = static_cast<std::size_t>(*v);
    }
    return p;
}

json::value time_or_null(const std::optional<std::int64_t>& t) {
    if (!t) {
        return nullptr;
    }
    return json::string(vrnum::format_rfc3339(*t));
}

}  // namespace vrnumd::api
