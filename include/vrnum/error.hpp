#pragma once
/// \file
/// Error codes of the data path (SPEC §1's table) and their mapping to HTTP.

#include <string_view>
#include <system_error>

#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

namespace vrnum {

/// Expected failures of a request; each has one HTTP status and one `error` code string.
enum class errc {
    malformed = 1,           ///< 400
    bad_signature,           ///< 401
    unauthorized,            ///< 401
    insufficient_funds,      ///< 402
    forbidden,               ///< 403
    csrf,                    ///< 403
    not_found,               ///< 404
    method_not_allowed,      ///< 405
    conflict,                ///< 409
    length_required,         ///< 411
    too_large,               ///< 413
    unsupported_media_type,  ///< 415
    validation,              ///< 422
    rate_limited,            ///< 429
    headers_too_large,       ///< 431
    internal,                ///< 500
    overloaded,              ///< 503
    unavailable,             ///< 503
};

/// Why a source refused a webhook's signature. Each is answered 401 `bad_signature`; the
/// reason only tells metrics and the log which one it was.
enum class verify_error {
    missing = 1,  ///< no signature (or no timestamp where the scheme needs one)
    mismatch,     ///< present but wrong: another key, a changed body, a malformed value
    stale,        ///< the timestamp is outside the source's tolerance (old or future)
    replayed,     ///< a nonce already accepted within the source's tolerance window
};

/// The category of `errc`; `message()` is the wire code (`bad_signature`).
const boost::system::error_category& vrnum_category() noexcept;

/// Makes `errc` usable as a `boost::system::error_code`.
inline boost::system::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), vrnum_category()};
}

/// The category of `verify_error`; `message()` is `missing`, `mismatch`, `stale` or
/// `replayed`.
const boost::system::error_category& verify_category() noexcept;

/// Makes `verify_error` usable as a `boost::system::error_code`.
inline boost::system::error_code make_error_code(verify_error e) noexcept {
    return {static_cast<int>(e), verify_category()};
}

/// A value or an error code.
template <class T>
using result = boost::system::result<T, boost::system::error_code>;

/// The HTTP status for an error (401 for any `verify_error`, 500 for other categories).
unsigned to_http_status(const boost::system::error_code& ec) noexcept;

/// The `error` string of a JSON error body (`bad_signature` for any `verify_error`,
/// `internal` for codes of other categories).
std::string_view to_wire_code(const boost::system::error_code& ec) noexcept;

}  // namespace vrnum

template <>
struct boost::system::is_error_code_enum<vrnum::errc> : std::true_type {};
template <>
struct boost::system::is_error_code_enum<vrnum::verify_error> : std::true_type {};
