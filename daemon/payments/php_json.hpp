#pragma once
/// \file
/// What Cryptomus signs: PHP's `json_encode(json_decode($body, true), JSON_UNESCAPED_UNICODE)`
/// of a webhook body without its `sign` field, reproduced byte for byte. PHP turns objects into
/// ordered arrays (a repeated key keeps its first place and takes the last value; a key that is
/// a canonical decimal integer becomes an integer key), writes an array whose keys are exactly
/// 0..n-1 as a list (so `{}` becomes `[]`), escapes `/` as `\/` and U+2028/U+2029, leaves other
/// non-ASCII as it is, and prints floats with the shortest digits that round-trip (`1.0e+25`,
/// `0.1`, `10` for 10.0). Pure and thread-safe; checked against php-cli in the tests.

#include <optional>
#include <string>
#include <string_view>

namespace vrnumd::payments {

/// The re-encoding of `body` with the top-level key `drop` removed (when the top level is an
/// object and holds it); nullopt when PHP's `json_decode` would fail on `body` (not JSON,
/// invalid UTF-8, nested deeper than 512) or its top level is not an object.
std::optional<std::string> php_reencode(std::string_view body, std::string_view drop = {});

/// A double as PHP's `json_encode` prints it (`serialize_precision = -1`).
std::string php_double(double d);

}  // namespace vrnumd::payments
