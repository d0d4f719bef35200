#include "mail/ses_answer.hpp"

#include <algorithm>
#include <array>

#include <boost/json/parse.hpp>

namespace vrnumd::mail {
namespace {

// AWS's throttling error codes (botocore's retry handler lists the same).
constexpr std::array<std::string_view, 9> throttling{"Throttling",
                                                     "ThrottlingException",
                                                     "ThrottledException",
                                                     "TooManyRequestsException",
                                                     "RequestThrottled",
                                                     "RequestThrottledException",
                                                     "RequestLimitExceeded",
                                                     "SlowDown",
                                                     "LimitExceededException"};

std::string json_string(const boost::json::object& o, std::initializer_list<const char*> keys) {
    for (const char* k : keys) {
        if (const boost::json::value* v = o.if_contains(k); v && v->is_string()) {
            return std::string(v->get_string());
        }
    }
    return {};
}

}  // namespace

send_result classify_ses_answer(unsigned status, std::string_view error_type_header,
                                std::string_view body) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(body, ec);
    boost::json::object o;
    if (!ec && v.is_object()) {
        o = v.get_object();
    }
    if (status >= 200 && status < 300) {
        return {send_result::outcome::sent, "ses message id " + json_string(o, {"MessageId"})};
    }
    // `x-amzn-ErrorType: TooManyRequestsException:http://...`; else the body's `__type`.
    std::string type(error_type_header.substr(0, error_type_header.find(':')));
    if (type.empty()) {
        type = json_string(o, {"__type", "code", "Code"});
        type = type.substr(type.rfind('#') == std::string::npos ? 0 : type.rfind('#') + 1);
    }
    std::string message = json_string(o, {"message", "Message"});
    std::string detail = "SES answered " + std::to_string(status) +
                         (type.empty() ? "" : " " + type) + (message.empty() ? "" : ": " + message);
    bool throttled =
        status == 429 || std::find(throttling.begin(), throttling.end(), type) != throttling.end();
    if (throttled || status >= 500) {
        return {send_result::outcome::retry, detail};
    }
    return {send_result::outcome::dead, detail};
}

}  // namespace vrnumd::mail
