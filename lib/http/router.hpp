#pragma once
// The route table: built once at start-up, then read-only (safe to share across threads).

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include <vrnum/http.hpp>

namespace vrnum::detail {

/// What a look-up found.
struct route_match {
    enum kind_t { found, not_found, method_not_allowed } kind = not_found;
    const http::route* route = nullptr;
    std::map<std::string, std::string, std::less<>> params;
    std::string allow;  ///< for 405: the methods the path takes, comma-separated
};

/// Maps (method, path) to routes. A literal segment beats a `{param}` one; HEAD is served
/// by the GET route of a path unless a HEAD route exists.
class router {
  public:
    /// Adds a route; throws std::invalid_argument for a malformed or duplicate pattern.
    void add(http::route r);
    /// Looks up an already percent-decoded path split into segments.
    route_match find(std::string_view method, const std::vector<std::string>& segments) const;
    /// Every (method, pattern) pair, in the order added.
    std::vector<std::pair<std::string, std::string>> list() const;

  private:
    struct entry {
        http::route route;
        std::vector<std::string> segments;  // "{name}" marks a parameter
        std::string shape;                  // the pattern with every parameter as "{}"
    };
    bool matches(const entry& e, const std::vector<std::string>& segments) const;
    std::vector<entry> entries_;
};

/// Splits the path of an origin-form target into percent-decoded segments; false when the
/// target is not a valid origin-form.
bool split_target(std::string_view target, std::vector<std::string>& segments);

}  // namespace vrnum::detail
