// Fuzzes what the accounts API reads from outside: request bodies through the JSON field
// reader, the `attribution` a page sends, cookies, path ids and Turnstile's answers. The first
// byte picks the parser. Nothing may crash; kept UTM values stay within their cap and valid
// UTF-8 stays valid; a referrer host is never our own; a path id is positive.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>

#include "accounts/attribution_input.hpp"
#include "accounts/turnstile_answer.hpp"
#include "api/json_io.hpp"

namespace {

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

vrnum::http::request post(std::string body) {
    vrnum::http::request r;
    r.method = "POST";
    r.target = "/api/v1/auth/register";
    r.headers = {{"Content-Type", "application/json"}};
    r.body = std::move(body);
    return r;
}

void fields(std::string_view data) {
    auto req = post(std::string(data));
    auto body = vrnumd::api::parse_object(req);
    if (!body) {
        return;
    }
    vrnumd::api::fields f(*body);
    auto email = f.text("email", true, 254);
    check(!email || email->size() <= 254);
    f.boolean("age_confirmed", true);
    f.integer("amount_minor", false);
    f.object("attribution");
    check(f.ok() == f.detail().empty());
}

void attribution(std::string_view data) {
    boost::system::error_code ec;
    auto v = boost::json::parse(data, ec);
    if (ec || !v.is_object()) {
        return;
    }
    auto a = vrnumd::accounts::attribution_from(v.get_object(), "sms.example.com");
    if (!a) {
        return;
    }
    for (const auto* s :
         {&a->utm_source, &a->utm_medium, &a->utm_campaign, &a->utm_term, &a->utm_content}) {
        check(s->size() <= vrnumd::accounts::max_utm_bytes);
        // Parsed JSON is valid UTF-8; the cut never splits a character.
        check(s->empty() || (static_cast<unsigned char>(s->back()) & 0xC0) != 0xC0);
    }
    check(a->referrer_host != "sms.example.com");
}

void headers(std::string_view data) {
    vrnum::http::request r = post("");
    r.headers.emplace_back("Cookie", std::string(data));
    r.params["id"] = std::string(data.substr(0, 24));
    r.target = "/api/v1/messages?" + std::string(data);
    std::string_view c = vrnumd::api::cookie(r, "vrnum_session");
    check(c.size() <= data.size());
    auto id = vrnumd::api::path_id(r, "id");
    check(!id || *id > 0);
    vrnumd::api::query_param(r, "before");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 4) {
        case 0:
            fields(in);
            break;
        case 1:
            attribution(in);
            break;
        case 2:
            headers(in);
            break;
        default:
            vrnumd::accounts::parse_siteverify(200, in);
            break;
    }
    return 0;
}
