// Signed demo requests of the hmac source: the inverse of verify and parse.

#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <openssl/evp.h>

#include "sources/hmac_source.hpp"

namespace vrnum::detail {
namespace {

// Sets `value` at a JSON Pointer, creating objects on the way (`~1` is `/`, `~0` is `~`).
void set_at(boost::json::object& root, std::string_view pointer, std::string_view value) {
    boost::json::object* at = &root;
    std::string_view rest = pointer.substr(1);
    for (;;) {
        auto slash = rest.find('/');
        std::string key(rest.substr(0, slash));
        for (std::size_t p = 0; (p = key.find('~', p)) != std::string::npos; ++p) {
            key.replace(p, 2, key.compare(p, 2, "~1") == 0 ? "/" : "~");
        }
        if (slash == std::string_view::npos) {
            (*at)[key] = value;
            return;
        }
        auto& next = (*at)[key];
        if (!next.is_object()) {
            next = boost::json::object{};
        }
        at = &next.as_object();
        rest.remove_prefix(slash + 1);
    }
}

std::string to_hex(std::string_view raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

std::string to_base64(std::string_view raw) {
    std::string out(4 * ((raw.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(raw.data()),
                            static_cast<int>(raw.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

}  // namespace

std::optional<outgoing_request> hmac_source::demo_request(
    const message& m, std::chrono::system_clock::time_point now) const {
    boost::json::object body;
    set_at(body, fields_.id, m.provider_id);
    set_at(body, fields_.from, m.from);
    set_at(body, fields_.to, m.to);
    set_at(body, fields_.text, m.text);
    outgoing_request r;
    r.target = "/webhooks/" + id_;
    r.body = boost::json::serialize(body);
    std::string ts = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count());
    auto raw = digest(*keys_.front(), ts, r.body);
    if (!raw) {
        return std::nullopt;
    }
    r.headers.emplace_back("Content-Type", "application/json");
    r.headers.emplace_back(header_, prefix_ + (base64_ ? to_base64(*raw) : to_hex(*raw)));
    if (!timestamp_header_.empty()) {
        r.headers.emplace_back(timestamp_header_, ts);
    }
    return r;
}

}  // namespace vrnum::detail
