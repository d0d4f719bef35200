#pragma once
/// \file
/// Cryptomus's payment webhook (SPEC §4, the `cryptomus` row): the signature check and what
/// the notice says. Pure and thread-safe; what it does to invoices and wallets is in
/// `settlement.hpp`.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <vrnum/error.hpp>

namespace vrnumd::payments {

/// Cryptomus's `sign` of request or webhook bytes `body`: hex md5(base64(`body`) + `api_key`).
std::string cryptomus_sign(std::string_view body, std::string_view api_key);

/// A payment notice whose `sign` checked out.
struct payment_notice {
    std::string uuid;      ///< Cryptomus's invoice id
    std::string order_id;  ///< ours
    std::string status;    ///< Cryptomus's payment status
    bool is_final = false;
    std::optional<std::string> payment_amount_usd;  ///< what arrived, in USD (a decimal string)
};

/// Checks the `sign` of webhook `body`: hex md5(base64(PHP's re-encoding of the body without
/// `sign`) + `api_key`), compared in constant time; then reads the notice. `bad_signature`
/// when `sign` is missing or wrong; `malformed` when the body is not a JSON object PHP would
/// decode, or (signed) lacks a string `uuid`, `order_id` or `status`. `detail` says which.
vrnum::result<payment_notice> verify_notice(std::string_view body, std::string_view api_key,
                                            std::string& detail);

/// Reads the fields of a notice, or of the `result` of Cryptomus's payment-info answer, from
/// JSON `text` (a re-encoded body): nullopt when `uuid`, `order_id` or `status` is missing.
std::optional<payment_notice> read_notice(std::string_view text);

/// A decimal string ("12.3456") as whole cents, rounded down: digits with an optional
/// fraction, nothing else (no sign, exponent or spaces); nullopt otherwise or past 10^15.
std::optional<std::int64_t> usd_cents(std::string_view text);

/// What a Cryptomus status means for an invoice.
enum class status_kind {
    waiting,  ///< check, process, confirm_check, wrong_amount_waiting: nothing yet
    credit,   ///< paid, paid_over, wrong_amount: money arrived (credited once final)
    closed,   ///< cancel, fail, system_fail: nothing arrived, nothing will
    refund,   ///< refund_process, refund_fail, refund_paid: Cryptomus returns the money
    held,     ///< locked: held by Cryptomus's AML checks
    unknown,  ///< a status Cryptomus does not document
};
status_kind classify_status(std::string_view status) noexcept;

/// The invoice's next status when a notice with `incoming` arrives in state `current`, or
/// nullopt to keep it: an invoice never goes back from a final state to a waiting one, and a
/// credited invoice keeps its credit status except for a refund.
std::optional<std::string> next_status(std::string_view current, bool credited,
                                       std::string_view incoming);

}  // namespace vrnumd::payments
