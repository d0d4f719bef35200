#include <vrnum/request_view.hpp>

#include "text/ascii.hpp"

namespace vrnum {

std::string_view request_view::header(std::string_view name) const noexcept {
    for (const auto& [n, v] : headers) {
        if (detail::iequals_ascii(n, name)) {
            return v;
        }
    }
    return {};
}

bool request_view::has_header(std::string_view name) const noexcept {
    for (const auto& h : headers) {
        if (detail::iequals_ascii(h.first, name)) {
            return true;
        }
    }
    return false;
}

std::string_view request_view::path() const noexcept {
    return target.substr(0, target.find('?'));
}

std::string_view request_view::query() const noexcept {
    auto q = target.find('?');
    return q == std::string_view::npos ? std::string_view{} : target.substr(q + 1);
}

}  // namespace vrnum
