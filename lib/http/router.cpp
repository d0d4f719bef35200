#include "http/router.hpp"

#include <algorithm>
#include <stdexcept>

#include <boost/url/parse.hpp>

namespace vrnum::detail {
namespace {

bool is_param(std::string_view s) {
    return s.size() > 2 && s.front() == '{' && s.back() == '}';
}

std::vector<std::string> split_pattern(std::string_view pattern) {
    if (pattern.empty() || pattern.front() != '/') {
        throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
    }
    std::vector<std::string> out;
    std::size_t pos = 1;
    while (pos <= pattern.size()) {
        std::size_t end = pattern.find('/', pos);
        if (end == std::string_view::npos) {
            end = pattern.size();
        }
        out.emplace_back(pattern.substr(pos, end - pos));
        pos = end + 1;
    }
    if (out.size() == 1 && out.front().empty()) {
        out.clear();  // "/"
    }
    return out;
}

// Orders candidate patterns: at the first differing position, a literal beats a parameter.
bool more_specific(const std::vector<std::string>& a, const std::vector<std::string>& b) {
    for (std::size_t i = 0; i < a.size() && i < b.size(); ++i) {
        if (is_param(a[i]) != is_param(b[i])) {
            return !is_param(a[i]);
        }
    }
    return false;
}

}  // namespace

void router::add(http::route r) {
    entry e{std::move(r), {}};
    e.segments = split_pattern(e.route.pattern);
    for (const std::string& seg : e.segments) {
        e.shape += "/" + (is_param(seg) ? std::string("{}") : seg);
    }
    for (const entry& other : entries_) {
        if (other.route.method == e.route.method && other.shape == e.shape) {
            throw std::invalid_argument("duplicate route: " + e.route.method + " " +
                                        e.route.pattern);
        }
    }
    entries_.push_back(std::move(e));
}

bool router::matches(const entry& e, const std::vector<std::string>& segments) const {
    if (e.segments.size() != segments.size()) {
        return false;
    }
    for (std::size_t i = 0; i < segments.size(); ++i) {
        if (is_param(e.segments[i]) ? segments[i].empty() : e.segments[i] != segments[i]) {
            return false;
        }
    }
    return true;
}

route_match router::find(std::string_view method, const std::vector<std::string>& segments) const {
    const entry* best = nullptr;
    for (const entry& e : entries_) {
        if (matches(e, segments) && (!best || more_specific(e.segments, best->segments))) {
            best = &e;
        }
    }
    route_match m;
    if (!best) {
        return m;
    }
    // Every route of the chosen pattern, to pick the method or else list them in Allow.
    const entry* by_method = nullptr;
    const entry* get_route = nullptr;
    for (const entry& e : entries_) {
        if (e.shape != best->shape) {
            continue;
        }
        if (e.route.method == method) {
            by_method = &e;
        }
        if (e.route.method == "GET") {
            get_route = &e;
        }
    }
    if (!by_method && method == "HEAD") {
        by_method = get_route;
    }
    if (!by_method) {
        std::vector<std::string> methods;
        for (const entry& e : entries_) {
            if (e.shape == best->shape) {
                methods.push_back(e.route.method);
                if (e.route.method == "GET") {
                    methods.emplace_back("HEAD");
                }
            }
        }
        std::sort(methods.begin(), methods.end());
        methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
        m.kind = route_match::method_not_allowed;
        for (const std::string& s : methods) {
            m.allow += m.allow.empty() ? s : ", " + s;
        }
        return m;
    }
    m.kind = route_match::found;
    m.route = &by_method->route;
    for (std::size_t i = 0; i < segments.size(); ++i) {
        const std::string& s = by_method->segments[i];
        if (is_param(s)) {
            m.params.emplace(s.substr(1, s.size() - 2), segments[i]);
        }
    }
    return m;
}

std::vector<std::pair<std::string, std::string>> router::list() const {
    std::vector<std::pair<std::string, std::string>> out;
    out.reserve(entries_.size());
    for (const entry& e : entries_) {
        out.emplace_back(e.route.method, e.route.pattern);
    }
    return out;
}

bool split_target(std::string_view target, std::vector<std::string>& segments) {
    segments.clear();
    auto fill = [&segments](const auto& url) {
        for (auto seg : url.segments()) {
            segments.emplace_back(seg);
        }
        return true;
    };
    if (auto origin = boost::urls::parse_origin_form(target)) {
        return fill(*origin);
    }
    // Absolute form (RFC 9112 §3.2.2) must be accepted too; only its path routes.
    auto absolute = boost::urls::parse_absolute_uri(target);
    if (absolute && (absolute->scheme_id() == boost::urls::scheme::http ||
                     absolute->scheme_id() == boost::urls::scheme::https)) {
        return fill(*absolute);
    }
    return false;
}

}  // namespace vrnum::detail
