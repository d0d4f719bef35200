#include "payments/cryptomus_webhook.hpp"

#include <array>
#include <limits>
#include <stdexcept>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <openssl/crypto.h>

#include "crypto/digest.hpp"
#include "crypto/encoding.hpp"
#include "payments/php_json.hpp"

namespace vrnumd::payments {
namespace {

using vrnum::errc;

const boost::json::string* string_field(const boost::json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v ? v->if_string() : nullptr;
}

constexpr std::array<std::pair<std::string_view, status_kind>, 14> statuses{{
    {"check", status_kind::waiting},
    {"process", status_kind::waiting},
    {"confirm_check", status_kind::waiting},
    {"wrong_amount_waiting", status_kind::waiting},
    {"paid", status_kind::credit},
    {"paid_over", status_kind::credit},
    {"wrong_amount", status_kind::credit},
    {"cancel", status_kind::closed},
    {"fail", status_kind::closed},
    {"system_fail", status_kind::closed},
    {"refund_process", status_kind::refund},
    {"refund_fail", status_kind::refund},
    {"refund_paid", status_kind::refund},
    {"locked", status_kind::held},
}};

// How far along an invoice is; a notice never moves it back. Our own `creating` and
// `failed` come before anything Cryptomus says.
int rank(std::string_view status) noexcept {
    switch (classify_status(status)) {
        case status_kind::waiting:
        case status_kind::unknown:
            return 0;
        case status_kind::held:
            return 1;
        case status_kind::credit:
        case status_kind::closed:
            return 2;
        case status_kind::refund:
            return 3;
    }
    return 0;
}

}  // namespace

std::string cryptomus_sign(std::string_view body, std::string_view api_key) {
    std::string b64 = vrnum::detail::encode_base64(body);
    auto d = vrnum::detail::digest("MD5", {b64, api_key});
    if (!d) {
        throw std::runtime_error("MD5 failed");
    }
    return vrnum::detail::encode_hex(*d);
}

std::optional<payment_notice> read_notice(std::string_view text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o) {
        return std::nullopt;
    }
    const auto* uuid = string_field(*o, "uuid");
    const auto* order = string_field(*o, "order_id");
    const auto* status = string_field(*o, "status");
    if (!uuid || !order || !status) {
        return std::nullopt;
    }
    payment_notice n{std::string(*uuid), std::string(*order), std::string(*status), false, {}};
    const auto* fin = o->if_contains("is_final");
    n.is_final = fin && fin->is_bool() && fin->get_bool();
    if (const auto* usd = string_field(*o, "payment_amount_usd")) {
        n.payment_amount_usd = std::string(*usd);
    }
    return n;
}

vrnum::result<payment_notice> verify_notice(std::string_view body, std::string_view api_key,
                                            std::string& detail) {
    // The whole body as PHP decodes it (a repeated key takes its last value), for `sign` and
    // the fields; then the signed bytes, without `sign`.
    auto whole = php_reencode(body);
    auto signed_part = php_reencode(body, "sign");
    if (!whole || !signed_part) {
        detail = "the body is not a JSON object";
        return make_error_code(errc::malformed);
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(*whole, ec);
    const auto* o = ec ? nullptr : v.if_object();
    if (!o) {
        // PHP decodes `[1]` too, but a notice is an object; `{}` comes back as `[]`.
        detail = "the body is not a JSON object";
        return make_error_code(errc::malformed);
    }
    const auto* sign = string_field(*o, "sign");
    if (!sign) {
        detail = "no sign";
        return make_error_code(errc::bad_signature);
    }
    std::string expected = cryptomus_sign(*signed_part, api_key);
    if (expected.size() != sign->size() ||
        CRYPTO_memcmp(expected.data(), sign->data(), expected.size()) != 0) {
        detail = "sign does not match";
        return make_error_code(errc::bad_signature);
    }
    auto n = read_notice(*whole);
    if (!n) {
        detail = "uuid, order_id and status are required strings";
        return make_error_code(errc::malformed);
    }
    return std::move(*n);
}

std::optional<std::int64_t> usd_cents(std::string_view text) {
    auto dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    std::string_view frac =
        dot == std::string_view::npos ? std::string_view{} : text.substr(dot + 1);
    auto digits = [](std::string_view s) {
        for (char c : s) {
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    };
    if (whole.empty() || whole.size() > 15 || !digits(whole) || !digits(frac) ||
        (dot != std::string_view::npos && frac.empty())) {
        return std::nullopt;
    }
    std::int64_t cents = 0;
    for (char c : whole) {
        cents = cents * 10 + (c - '0');
    }
    for (std::size_t i = 0; i < 2; ++i) {
        cents = cents * 10 + (i < frac.size() ? frac[i] - '0' : 0);
    }
    return cents;
}

status_kind classify_status(std::string_view status) noexcept {
    for (const auto& [name, kind] : statuses) {
        if (name == status) {
            return kind;
        }
    }
    return status_kind::unknown;
}

std::optional<std::string> next_status(std::string_view current, bool credited,
                                       std::string_view incoming) {
    auto kind = classify_status(incoming);
    if (kind == status_kind::unknown || incoming == current) {
        return std::nullopt;
    }
    if (credited ? kind != status_kind::refund : rank(incoming) < rank(current)) {
        return std::nullopt;
    }
    return std::string(incoming);
}

}  // namespace vrnumd::payments
