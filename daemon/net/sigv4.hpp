#pragma once
/// \file
/// AWS Signature Version 4 (HMAC-SHA256, the `Authorization` header form) for services other
/// than S3: the path is normalised and encoded a second time, as botocore does. Pure
/// functions of their arguments (no clock, no I/O); safe from any thread.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <vrnum/error.hpp>

namespace vrnumd::net {

/// A header as sent: name and value.
using http_header = std::pair<std::string, std::string>;

/// AWS credentials; with a session token the request also carries and signs
/// `X-Amz-Security-Token`.
struct aws_credentials {
    std::string access_key_id;
    std::string secret_access_key;
    std::string session_token;  ///< empty for long-term credentials
};

/// What is signed: a request as it will be sent.
struct sigv4_request {
    std::string method;  ///< "GET", "POST"
    /// The URL path as sent, percent-encoded where it needs to be (`/v2/email/outbound-emails`).
    std::string path;
    /// The query as sent, without `?`; may be empty. Names and values are percent-decoded
    /// and encoded again (RFC 3986), so `%20` and a raw space sign alike; `+` is a literal
    /// plus, signed as `%2B`.
    std::string query;
    /// The headers as sent, `Host` included. `Authorization`, `User-Agent`, `Expect` and
    /// `X-Amzn-Trace-Id` are not signed. An `X-Amz-Date` here is replaced by the one the
    /// signature adds, and so is an `X-Amz-Security-Token` when the credentials have a token.
    std::vector<http_header> headers;
    std::string_view payload;  ///< the body; hashed unless `X-Amz-Content-SHA256` is given
};

/// A signature and what went into it.
struct sigv4_result {
    std::string canonical_request;
    std::string string_to_sign;
    std::string signature;      ///< lower-case hex
    std::string authorization;  ///< the `Authorization` header value
    /// `X-Amz-Date`, and `X-Amz-Security-Token` when the credentials have a token: signed,
    /// and to be sent with the request besides `Authorization`.
    std::vector<http_header> added_headers;
};

/// Signs `req` for `region` and `service` at `amz_date` ("YYYYMMDDTHHMMSSZ"). Fails with
/// `errc::malformed` for another date shape and `errc::internal` if OpenSSL fails.
vrnum::result<sigv4_result> sigv4_sign(const sigv4_request& req, const aws_credentials& cred,
                                       std::string_view region, std::string_view service,
                                       std::string_view amz_date);

/// "YYYYMMDDTHHMMSSZ" (UTC) of a Unix time in milliseconds; the milliseconds are dropped.
std::string amz_date(std::int64_t unix_ms);

/// The canonical URI: dot segments removed, empty segments dropped, each byte outside
/// RFC 3986's unreserved set and `/` percent-encoded (so `%` becomes `%25`); "/" when empty.
std::string sigv4_canonical_uri(std::string_view path);

/// The canonical query string of a raw query (see `sigv4_request::query`): pairs sorted by
/// encoded name, then encoded value; a name without `=` gets an empty value.
std::string sigv4_canonical_query(std::string_view query);

}  // namespace vrnumd::net
