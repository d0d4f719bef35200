#pragma once
/// \file
/// RFC 5322 messages as the file transport writes them: a multipart/alternative of a text
/// and an HTML part, both UTF-8 in base64, non-ASCII header text as RFC 2047 encoded words,
/// CRLF line ends. Pure functions; safe from any thread.

#include <optional>
#include <string>
#include <string_view>

#include <vrnum/message.hpp>

namespace vrnumd::mail {

/// An address with an optional display name, as in `VRNUM <no-reply@example.com>`.
struct mailbox {
    std::string name;     ///< display name, UTF-8; may be empty
    std::string address;  ///< `local@domain`, ASCII
};

/// Parses `Name <local@domain>`, `"Name" <local@domain>` or a bare `local@domain`. nullopt
/// for anything else: no `@`, a control character, a space or a bracket inside the address,
/// non-ASCII in the address, more than 254 bytes of address.
std::optional<mailbox> parse_mailbox(std::string_view text);

/// True when `address` is a plain `local@domain` that `parse_mailbox` accepts.
bool valid_address(std::string_view address);

/// The form in which addresses are compared, stored and indexed: without the blanks around
/// it, ASCII letters in lower case (as every mail provider we know treats them).
std::string normalise_address(std::string_view address);

/// The mailbox as a header value: the name quoted, or as encoded words when not ASCII
/// (`used`: the characters before it on its first line, e.g. 6 for `From: `).
std::string format_mailbox(const mailbox& m, std::size_t used = 0);

/// `text` as a header value: as it is when printable ASCII, else RFC 2047 `B` encoded words of
/// UTF-8 (each at most 75 characters, never splitting a character), folded with CRLF SP so
/// that no line passes 78 characters when `used` characters (the header's name and `: `)
/// come before it. Control characters (CR and LF included) become spaces first.
std::string encode_header_text(std::string_view text, std::size_t used = 0);

/// Replaces every e-mail address in `text` (a provider's error message may quote the
/// recipient) with `<address>`.
std::string redact_addresses(std::string_view text);

/// An RFC 5322 date such as `Mon, 07 Dec 2026 19:00:00 +0000`.
std::string rfc5322_date(vrnum::unix_ms t);

/// What one mail says and to whom.
struct mime_message {
    mailbox from;             ///< `mail.from`
    mailbox to;               ///< the recipient
    std::string subject;      ///< UTF-8, one line
    std::string text;         ///< the text/plain part, UTF-8
    std::string html;         ///< the text/html part, UTF-8
    std::string message_id;   ///< `<id@domain>`, angle brackets included
    vrnum::unix_ms date = 0;  ///< the Date header
};

/// The whole message, headers and body, with CRLF line ends.
std::string compose(const mime_message& m);

}  // namespace vrnumd::mail
