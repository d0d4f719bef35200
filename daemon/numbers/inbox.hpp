#pragma once
/// \file
/// The inbox (SPEC §5): each incoming SMS is routed, inside the transaction that stores it,
/// to the account renting its `to` number at receipt (DESIGN §3a's append hook); customers
/// list, read and delete their messages (`GET/PATCH/DELETE /messages`) and follow new ones
/// live (`GET /messages/stream`, Server-Sent Events fed after the commit, with `Last-Event-ID`
/// resume and heartbeats).

#include <chrono>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include <vrnum/http.hpp>
#include <vrnum/store.hpp>

#include "accounts/service.hpp"
#include "numbers/one_time_code.hpp"

namespace spdlog {
class logger;
}

namespace vrnumd::numbers {

/// A routed message as its owner sees it.
struct inbox_message {
    std::int64_t rental_id = 0;
    bool read = false;
    vrnum::stored_message m;
};
/// The API's form: `{id, number_id, from, to, text, received_at, read, code}`.
boost::json::object message_json(const inbox_message& x);

/// Inside the append transaction: routes `m` to the active rental of its `to` number (the
/// rental must run at `m.received_at`); the (account, rental), or nullopt when nobody rents it.
std::optional<std::pair<std::int64_t, std::int64_t>> route_message(vrnum::write_txn& txn,
                                                                   const vrnum::stored_message& m);
/// The account's messages, newest first, ids below `before` (0 = from the newest), of one
/// rental when `rental_id` is set.
std::vector<inbox_message> list_inbox(vrnum::read_txn& txn, std::int64_t account_id,
                                      std::optional<std::int64_t> rental_id, std::int64_t before,
                                      std::size_t limit);
/// The account's messages with ids above `after`, oldest first (a stream's catch-up).
std::vector<inbox_message> inbox_after(vrnum::read_txn& txn, std::int64_t account_id,
                                       std::int64_t after, std::size_t limit);
/// Marks the account's message read or unread; nullopt when it is not theirs.
std::optional<inbox_message> set_read(vrnum::write_txn& txn, std::int64_t account_id,
                                      std::int64_t id, bool read);
/// Deletes the account's message (the stored SMS itself); false when it is not theirs.
bool delete_inbox_message(vrnum::write_txn& txn, std::int64_t account_id, std::int64_t id);
/// Erasure: every message routed to the account, deleted.
void erase_inbox(vrnum::write_txn& txn, std::int64_t account_id);

/// The live side of `/messages/stream`: streams subscribe per account; the append hook notes
/// where each new message went and the commit listener publishes the committed ones. Thread
/// safe; per process (DESIGN §3a), behind this small interface.
class message_hub {
  public:
    /// One open stream's queue.
    struct subscription {
        std::mutex mutex;
        std::deque<std::pair<std::int64_t, std::string>> events;  ///< (id, data)
        bool overflowed = false;  ///< the stream fell behind: it should end (the client resumes)
    };
    std::shared_ptr<subscription> subscribe(std::int64_t account_id);
    void unsubscribe(std::int64_t account_id, const std::shared_ptr<subscription>& s);
    /// From the append hook: message `m` (not committed yet) went to `account_id`'s rental.
    void routed(const vrnum::stored_message& m, std::int64_t account_id, std::int64_t rental_id);
    /// From the commit listener: publishes what was routed of `committed` to the streams of
    /// its account (the event is written only when one is open).
    void committed(const std::vector<vrnum::stored_message>& committed);

  private:
    struct pending {
        std::string source;
        std::string provider_id;
        std::int64_t account_id = 0;
        std::int64_t rental_id = 0;
        std::chrono::steady_clock::time_point at;
    };
    std::mutex mutex_;
    std::multimap<std::int64_t, std::weak_ptr<subscription>> subs_;
    std::map<std::int64_t, pending> pending_;  // by message id
};

/// The inbox's routes under `/api/v1`, its hook on the store, its export section and erasure
/// step. Owned by the daemon beside the accounts service.
class inbox_service {
  public:
    /// Installs the append hook and the commit listener on `store` (before the first append).
    inbox_service(vrnum::store& store, accounts::service& accounts,
                  std::shared_ptr<spdlog::logger> log,
                  std::chrono::milliseconds heartbeat = std::chrono::seconds(15));
    std::vector<vrnum::http::route> routes();
    message_hub& hub() { return hub_; }

  private:
    vrnum::store& store_;
    accounts::service& accounts_;
    std::shared_ptr<spdlog::logger> log_;
    std::chrono::milliseconds heartbeat_;
    message_hub hub_;
};

}  // namespace vrnumd::numbers
