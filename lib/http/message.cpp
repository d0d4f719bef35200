#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <vrnum/error.hpp>
#include <vrnum/http.hpp>

#include "text/ascii.hpp"

namespace vrnum {

namespace http {

request_view request::view() const {
    request_view v{method, target, {}, body};
    v.headers.reserve(headers.size());
    for (const auto& [n, val] : headers) {
        v.headers.emplace_back(n, val);
    }
    return v;
}

std::string_view request::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers) {
        if (detail::iequals_ascii(n, name)) {
            return v;
        }
    }
    return {};
}

response& response::set(std::string name, std::string value) {
    for (auto& [n, v] : headers) {
        if (detail::iequals_ascii(n, name)) {
            v = std::move(value);
            return *this;
        }
    }
    headers.emplace_back(std::move(name), std::move(value));
    return *this;
}

response error_response(const boost::system::error_code& ec, std::string_view detail) {
    boost::json::object body;
    body["error"] = to_wire_code(ec);
    body["detail"] = detail;
    return json_response(to_http_status(ec), boost::json::serialize(body));
}

response json_response(unsigned status, std::string body) {
    response r;
    r.status = status;
    r.body = std::move(body);
    r.headers.emplace_back("Content-Type", "application/json");
    return r;
}

}  // namespace http
}  // namespace vrnum
