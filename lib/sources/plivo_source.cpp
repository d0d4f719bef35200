#include "sources/plivo_source.hpp"

#include <algorithm>
#include <stdexcept>

#include <openssl/crypto.h>

#include "normalize/normalize.hpp"
#include "sources/media_type.hpp"

namespace vrnum::detail {
namespace {

// A rotation lists a few signatures; these bound what a hostile header can make us do.
constexpr std::size_t max_signature_header = 1024;
constexpr std::size_t max_signatures = 8;
constexpr std::size_t max_nonce_chars = 256;
// Nonces remembered at most: beyond this rate within a window the oldest are forgotten.
constexpr std::size_t nonce_capacity = 1 << 20;

// Sorted by name, then value (Plivo's get_sorted_query_string / get_sorted_params_string).
std::vector<const std::pair<std::string, std::string>*> sorted(const form_fields& fields) {
    std::vector<const std::pair<std::string, std::string>*> out;
    out.reserve(fields.size());
    for (const auto& f : fields) {
        out.push_back(&f);
    }
    std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return *a < *b; });
    return out;
}

std::string_view without_query(std::string_view url) {
    return url.substr(0, url.find_first_of("?#"));
}

}  // namespace

bool nonce_cache::seen(std::string_view nonce, time_point now) {
    std::lock_guard lock(mutex_);
    expire(now);
    return until_.count(std::string(nonce)) != 0;
}

void nonce_cache::remember(std::string_view nonce, time_point now) {
    std::lock_guard lock(mutex_);
    expire(now);
    while (order_.size() >= capacity_) {
        until_.erase(order_.front().first);
        order_.pop_front();
    }
    auto [it, inserted] = until_.insert_or_assign(std::string(nonce), now + window_);
    if (inserted) {
        order_.emplace_back(it->first, it->second);
    }
}

void nonce_cache::expire(time_point now) {
    while (!order_.empty() && order_.front().second <= now) {
        auto it = until_.find(order_.front().first);
        // Only when not remembered again later (then a newer entry holds its place).
        if (it != until_.end() && it->second <= now) {
            until_.erase(it);
        }
        order_.pop_front();
    }
}

plivo_source::plivo_source(const source_config& cfg)
    : id_(cfg.id), nonces_(std::chrono::seconds(cfg.tolerance_seconds), nonce_capacity) {
    if (cfg.secrets.empty()) {
        throw std::invalid_argument("plivo source \"" + id_ + "\" needs an auth token");
    }
    for (const auto& token : cfg.secrets) {
        if (token.empty()) {
            throw std::invalid_argument("plivo source \"" + id_ + "\": an auth token is empty");
        }
        keys_.push_back(std::make_unique<hmac_key>("SHA256", token));
    }
}

std::optional<std::string> plivo_source::v3_string(std::string_view url, const form_fields& form) {
    std::string_view base = without_query(url);
    std::string_view query;
    if (base.size() < url.size() && url[base.size()] == '?') {
        query = url.substr(base.size() + 1);
        query = query.substr(0, query.find('#'));
    }
    auto query_fields = parse_form(query);
    if (!query_fields) {
        return std::nullopt;
    }
    std::string q;
    for (const auto* f : sorted(*query_fields)) {
        q += q.empty() ? "" : "&";
        q += f->first;
        q += '=';
        q += f->second;
    }
    std::string out(base);
    if (!q.empty() || !form.empty()) {
        out += '?';
        out += q;
    }
    if (!q.empty() && !form.empty()) {
        out += '.';
    }
    for (const auto* f : sorted(form)) {
        out += f->first;
        out += f->second;
    }
    return out;
}

bool plivo_source::any_matches(std::string_view data, std::string_view list, bool& failed) const {
    std::vector<std::string> macs;
    for (const auto& key : keys_) {
        auto mac = key->mac({data});
        failed = failed || !mac;
        macs.push_back(mac.value_or(std::string()));
    }
    for (std::size_t n = 0; n < max_signatures && !list.empty(); ++n) {
        auto comma = list.find(',');
        auto sig = decode_base64(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
        if (!sig) {
            continue;
        }
        for (const auto& mac : macs) {
            if (!mac.empty() && mac.size() == sig->size() &&
                CRYPTO_memcmp(mac.data(), sig->data(), mac.size()) == 0) {
                return true;
            }
        }
    }
    return false;
}

boost::system::error_code plivo_source::verify(const request_view& req, std::string_view base_url,
                                               std::chrono::system_clock::time_point now) const {
    const auto mismatch = make_error_code(verify_error::mismatch);
    std::string_view v3 = trim_ascii(req.header("X-Plivo-Signature-V3"));
    std::string_view v2 = trim_ascii(req.header("X-Plivo-Signature-V2"));
    std::string_view list = v3.empty() ? v2 : v3;
    std::string_view nonce = trim_ascii(
        req.header(v3.empty() ? "X-Plivo-Signature-V2-Nonce" : "X-Plivo-Signature-V3-Nonce"));
    if (list.empty() || nonce.empty()) {
        return verify_error::missing;
    }
    if (list.size() > max_signature_header || nonce.size() > max_nonce_chars) {
        return mismatch;
    }
    const std::string url = join_url(base_url, req.target);
    std::string data;
    if (!v3.empty()) {
        auto form = parse_form(req.body);
        auto s = form ? v3_string(url, *form) : std::nullopt;
        if (!s) {
            return mismatch;
        }
        data = std::move(*s);
        data += '.';
    } else {
        data = without_query(url);
    }
    data += nonce;
    bool failed = false;
    if (!any_matches(data, list, failed)) {
        return failed ? make_error_code(errc::internal) : mismatch;
    }
    if (nonces_.seen(nonce, now)) {
        return verify_error::replayed;
    }
    return {};
}

void plivo_source::accepted(const request_view& req,
                            std::chrono::system_clock::time_point now) const {
    bool v3 = !trim_ascii(req.header("X-Plivo-Signature-V3")).empty();
    nonces_.remember(
        trim_ascii(req.header(v3 ? "X-Plivo-Signature-V3-Nonce" : "X-Plivo-Signature-V2-Nonce")),
        now);
}

bool plivo_source::accepts_content_type(std::string_view content_type) const noexcept {
    return media_type_of(content_type).empty() || is_form_media_type(content_type);
}

result<parsed_request> plivo_source::parse(const request_view& req,
                                           std::chrono::system_clock::time_point now) const {
    const auto malformed = make_error_code(errc::malformed);
    auto form = parse_form(req.body);
    if (!form) {
        return malformed;
    }
    const std::string* uuid = form_value(*form, "MessageUUID");
    const std::string* from = form_value(*form, "From");
    const std::string* to = form_value(*form, "To");
    const std::string* text = form_value(*form, "Text");
    if (!uuid || !from || !to || !text) {
        return malformed;
    }
    message msg;
    msg.provider_id = *uuid;
    if (!finish_message(msg, id_, *from, *to, *text, now)) {
        return malformed;
    }
    parsed_request out;
    out.messages.push_back(std::move(msg));
    return out;
}

}  // namespace vrnum::detail
