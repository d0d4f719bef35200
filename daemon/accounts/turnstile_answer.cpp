#include "accounts/turnstile_answer.hpp"

#include <boost/json/parse.hpp>

namespace vrnumd::accounts {

turnstile_outcome parse_siteverify(unsigned status, std::string_view body) {
    if (status != 200) {
        return turnstile_outcome::unavailable;
    }
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    const boost::json::object* o = ec ? nullptr : v.if_object();
    const boost::json::value* s = o ? o->if_contains("success") : nullptr;
    if (s == nullptr || !s->is_bool()) {
        return turnstile_outcome::unavailable;
    }
    return s->get_bool() ? turnstile_outcome::passed : turnstile_outcome::failed;
}

}  // namespace vrnumd::accounts
