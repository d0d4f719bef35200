#pragma once
/// \file
/// Where mail goes: the `file` transport (development) or Amazon SES (`ses`).

#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>

#include <vrnum/message.hpp>

#include "mail/mime.hpp"
#include "mail/templates.hpp"

namespace vrnumd::mail {

/// One mail as a transport sends it.
struct outgoing_mail {
    std::int64_t id = 0;    ///< the outbox row: what logs name instead of the address
    std::string token;      ///< unique per mail: the Message-ID's left part, the file's name
    mailbox from;           ///< `mail.from`
    mailbox to;             ///< the recipient
    rendered_mail content;  ///< subject, text and HTML
    vrnum::unix_ms date = 0;
};

/// What became of one attempt.
struct send_result {
    enum class outcome {
        sent,   ///< accepted; never sent again
        retry,  ///< a transient failure (network, throttling, 5xx): try again later
        dead,   ///< refused for good (another 4xx): not tried again
    };
    outcome what = outcome::sent;
    /// Why, for the log and the row (never an address), or the provider's message id when sent.
    std::string detail;
};

/// A way of sending mail. `send` is called from one thread (the mail worker's), one mail at
/// a time; `erase` from any thread (an account's erasure runs on the store's writer).
class transport {
  public:
    virtual ~transport() = default;
    /// Sends one mail.
    virtual boost::asio::awaitable<send_result> send(const outgoing_mail& m) = 0;
    /// Forgets what it kept of these mails (the file transport deletes their files).
    virtual void erase(const std::vector<std::string>& tokens) = 0;
    /// The tokens of the mails it keeps a copy of (the file transport's files), so that copies
    /// whose rows are gone (a crash between an erasure's commit and `erase`) can be swept.
    virtual std::vector<std::string> kept() const { return {}; }
    /// `file` or `ses`.
    virtual std::string_view name() const = 0;
};

}  // namespace vrnumd::mail
