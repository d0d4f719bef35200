#pragma once
/// \file
/// What an Amazon SES v2 answer means for a mail: sent, to retry (throttling: 429 and AWS's
/// throttling error types; 5xx) or dead (any other 4xx). Pure; safe from any thread.

#include <string_view>

#include "mail/transport.hpp"

namespace vrnumd::mail {

/// The outcome of an answer with `status`, its `x-amzn-ErrorType` header and its body (JSON,
/// or anything: a body that is not JSON still classifies by status). The detail names the
/// status, error type and SES's message, or the SES message id when sent.
send_result classify_ses_answer(unsigned status, std::string_view error_type_header,
                                std::string_view body);

}  // namespace vrnumd::mail
