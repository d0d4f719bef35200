#include "sources/media_type.hpp"

#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

std::string_view media_type_of(std::string_view content_type) noexcept {
    auto end = content_type.find(';');
    std::string_view t = content_type.substr(0, end);
    while (!t.empty() && is_space(t.front())) {
        t.remove_prefix(1);
    }
    while (!t.empty() && is_space(t.back())) {
        t.remove_suffix(1);
    }
    return t;
}

bool is_json_media_type(std::string_view content_type) noexcept {
    std::string_view t = media_type_of(content_type);
    auto slash = t.find('/');
    if (slash == std::string_view::npos || slash == 0 || slash + 1 == t.size()) {
        return false;
    }
    if (iequals_ascii(t, "application/json")) {
        return true;
    }
    std::string_view subtype = t.substr(slash + 1);
    return subtype.size() > 5 && iequals_ascii(subtype.substr(subtype.size() - 5), "+json");
}

bool is_form_media_type(std::string_view content_type) noexcept {
    return iequals_ascii(media_type_of(content_type), "application/x-www-form-urlencoded");
}

}  // namespace vrnum::detail
