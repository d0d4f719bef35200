#pragma once
/// \file
/// The normalised inbound SMS: what every source produces and the store keeps.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

namespace vrnum {

/// Milliseconds since the Unix epoch, UTC.
using unix_ms = std::int64_t;

/// One inbound SMS (or one part of a multipart SMS) after verification and normalisation.
struct message {
    std::string source;       ///< the configured source id
    std::string provider_id;  ///< the provider's message id: with `source`, the idempotency key
    std::string from;         ///< E.164 (`+447700900001`) or an alphanumeric sender as received
    std::string to;           ///< E.164 where it is a number
    std::string text;         ///< valid UTF-8, byte-exact
    std::optional<unix_ms> sent_at;  ///< the provider's timestamp, when it gives one
    unix_ms received_at = 0;         ///< when the gateway accepted it
};

/// A message as stored: with its row id, which orders messages (a cursor).
struct stored_message : message {
    std::int64_t id = 0;
};

}  // namespace vrnum
