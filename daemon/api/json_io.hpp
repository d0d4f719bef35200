#pragma once
/// \file
/// The JSON API's request and answer helpers (SPEC §5): bodies are JSON objects, fields are
/// checked with every problem collected into one 422, errors are `{"error","detail"}`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <vrnum/error.hpp>
#include <vrnum/http.hpp>

namespace vrnumd::api {

/// The body of `req` as a JSON object: an empty body is an empty object; `unsupported_media_type`
/// when a body comes with a content type other than `application/json`, `malformed` for
/// anything but one JSON object.
vrnum::result<boost::json::object> parse_object(const vrnum::http::request& req);

/// Parses the body of `req` into `out`; the error answer when it is not a JSON object.
std::optional<vrnum::http::response> read_object(const vrnum::http::request& req,
                                                 boost::json::object& out);

/// Reads fields of a request object, collecting what is wrong with them. Not thread-safe;
/// lives for one request.
class fields {
  public:
    explicit fields(const boost::json::object& o) : o_(o) {}
    /// A string of at most `max_bytes` (valid UTF-8 already: the JSON parser checks it);
    /// nullopt when absent, null, or wrong (then noted).
    std::optional<std::string> text(std::string_view name, bool required,
                                    std::size_t max_bytes = 1024);
    std::optional<bool> boolean(std::string_view name, bool required);
    std::optional<std::int64_t> integer(std::string_view name, bool required);
    /// An object (for nested values such as `attribution`).
    const boost::json::object* object(std::string_view name);
    /// Notes a problem with `name` (e.g. found by a later check).
    void problem(std::string_view name, std::string_view what);
    bool ok() const noexcept { return problems_.empty(); }
    /// "email: is not a valid address; password: is required".
    std::string detail() const;

  private:
    const boost::json::value* get(std::string_view name, bool required);
    const boost::json::object& o_;
    std::vector<std::string> problems_;
};

/// An error answer.
vrnum::http::response error(vrnum::errc code, std::string_view detail);
/// A JSON answer.
vrnum::http::response reply(unsigned status, const boost::json::value& body);
/// A 429 with `Retry-After`.
vrnum::http::response rate_limited(std::int64_t retry_after_seconds);
/// The value of cookie `name` in the request's `Cookie` headers, or empty.
std::string_view cookie(const vrnum::http::request& req, std::string_view name);
/// The query parameter `name` of the request's target (percent-decoded), if present.
std::optional<std::string> query_param(const vrnum::http::request& req, std::string_view name);

/// Decimal digits only (no sign, no blanks), within int64: ids, cursors, `Last-Event-ID`.
std::optional<std::int64_t> decimal(std::string_view s);
/// The path parameter `name` as a positive integer id; nullopt for anything else.
std::optional<std::int64_t> path_id(const vrnum::http::request& req, std::string_view name);

/// Where a list answer starts and how long it is (`?before=CURSOR&limit=N`).
struct page {
    std::int64_t before = 0;  ///< 0 = from the newest
    std::size_t limit = 50;   ///< 1 to 200
};
/// The page a list request asks for; nullopt, with the 422 in `error`, when malformed.
std::optional<page> page_of(const vrnum::http::request& req, vrnum::http::response& error);

/// RFC 3339 or null.
boost::json::value time_or_null(const std::optional<std::int64_t>& t);

}  // namespace vrnumd::api
