#pragma once
/// \file
/// What the webhook sources share: header look-up, Unix-time tolerance checks, form bodies,
/// JSON fields by pointer, and turning extracted values into a normalised message.

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <simdjson.h>

#include <vrnum/config.hpp>
#include <vrnum/error.hpp>
#include <vrnum/message.hpp>
#include <vrnum/request_view.hpp>
#include <vrnum/source.hpp>

#include "crypto/encoding.hpp"

namespace vrnum::detail {

/// Success when `ts` is a decimal Unix time (seconds, at most 12 digits) within `tolerance`
/// of `now` either way; `stale` outside it; `mismatch` for anything that is not such a number.
boost::system::error_code check_unix_time(std::string_view ts,
                                          std::chrono::system_clock::time_point now,
                                          std::chrono::seconds tolerance);

/// Form fields in the order received, names and values decoded (`+` is a space).
using form_fields = std::vector<std::pair<std::string, std::string>>;

/// Decodes an `application/x-www-form-urlencoded` body or a URL query (Boost.URL); nullopt
/// for a bad percent escape, a character a query may not hold, or a name or value that is
/// not valid UTF-8 once decoded.
std::optional<form_fields> parse_form(std::string_view text);

/// `fields` as an `application/x-www-form-urlencoded` body (unreserved characters kept,
/// spaces as `+`, everything else percent-encoded).
std::string encode_form(const form_fields& fields);

/// `base_url` without trailing slashes, then `target`: the URL a provider was given.
std::string join_url(std::string_view base_url, std::string_view target);

/// The value of the first field named `name`, or nullptr.
const std::string* form_value(const form_fields& fields, std::string_view name) noexcept;

/// Builds the stored message from what a source extracted: `from` and `to` normalised (E.164
/// where they are numbers), `received_at` from `now`. False when `to` or `provider_id` is
/// empty, or a value is not valid UTF-8.
bool finish_message(message& m, std::string_view source, std::string_view from, std::string_view to,
                    std::string_view text, std::chrono::system_clock::time_point now);

/// JSON helpers over simdjson's DOM. Strings are checked as UTF-8 after unescaping (a lone
/// escaped surrogate must not slip through).
namespace json {
using simdjson::dom::element;

/// A string at `pointer` (RFC 6901), valid UTF-8.
bool read_string(element root, std::string_view pointer, std::string_view& out);
/// An id: a string, or an integer as its decimal text.
bool read_id(element root, std::string_view pointer, std::string& out);
/// Optional time (Unix seconds or milliseconds, or RFC 3339): false only for a value present
/// but unusable; an empty pointer is not read.
bool read_time(element root, std::string_view pointer, std::optional<unix_ms>& out);
/// Reads `from`, `to`, `text`, `sent_at` (and `id` unless `with_id` is false) at `fields`.
bool read_fields(element root, const field_pointers& fields, bool with_id, message& m,
                 std::string_view& from, std::string_view& to, std::string_view& text);
/// The thread's parser (reused buffers; the DOM validates UTF-8 and every escape).
simdjson::dom::parser& thread_parser();
/// One message from a JSON object body at `fields` (`hmac`, `standard-webhooks`): the id
/// from `fields.id`, or `provider_id` when that is not empty. `errc::malformed` for bad JSON,
/// a body that is no object, or a missing, mistyped or invalid field.
result<parsed_request> parse_message(std::string_view body, const field_pointers& fields,
                                     std::string_view source, std::string_view provider_id,
                                     std::chrono::system_clock::time_point now);
}  // namespace json

/// Throws `std::invalid_argument` naming `source_id` when a field is not a JSON Pointer to a
/// field (`sent_at` may be empty: not read).
void check_field_pointers(std::string_view source_id, const field_pointers& fields);

}  // namespace vrnum::detail
