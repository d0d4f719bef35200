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

/// Where a part of a multipart SMS belongs, when the provider delivers the parts separately
/// (Vonage's `concat`): the store keeps each part and joins them when all are in.
struct message_part {
    std::string ref;       ///< the sender's reference for the whole message (with `from`)
    unsigned total = 0;    ///< how many parts the message has (2 or more)
    unsigned number = 0;   ///< this part's place, 1 to `total`
    unix_ms deadline = 0;  ///< when the parts that are in are stored as a partial message
};

/// One inbound SMS (or one part of a multipart SMS) after verification and normalisation.
struct message {
    std::string source;       ///< the configured source id
    std::string provider_id;  ///< the provider's message id: with `source`, the idempotency key
    std::string from;         ///< E.164 (`+447700900001`) or an alphanumeric sender as received
    std::string to;           ///< E.164 where it is a number
    std::string text;         ///< valid UTF-8, byte-exact
    std::optional<unix_ms> sent_at;  ///< the provider's timestamp, when it gives one
    unix_ms received_at = 0;         ///< when the gateway accepted it
    /// Set on a part of a multipart SMS as a source parsed it; never on a stored message.
    std::optional<message_part> part;
    /// On a stored message joined from parts: true when some parts never came before the
    /// source's `multipart_timeout_seconds` (the text is then the parts that did, in order).
    bool partial = false;
};

/// A message as stored: with its row id, which orders messages (a cursor).
struct stored_message : message {
    std::int64_t id = 0;
};

}  // namespace vrnum
