#pragma once
/// \file
/// Amazon SES v2 `SendEmail` (POST /v2/email/outbound-emails, simple content: subject, text
/// and HTML) over HTTPS, signed with AWS Signature Version 4 (service `ses`). Throttling
/// (429 and the throttling error types), 5xx and network failures are transient; any other
/// 4xx is a refusal.

#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>

#include "config/daemon_config.hpp"
#include "mail/ses_answer.hpp"
#include "mail/transport.hpp"

namespace vrnumd::mail {

/// `https://email.<region>.amazonaws.com`, or `cfg.endpoint` when set.
std::string ses_base_url(const ses_config& cfg);

/// Sends through SES with `cfg`'s credentials, over a client on `ex` configured by `http`.
/// Throws std::runtime_error when `http.ca_file` cannot be loaded.
std::unique_ptr<transport> make_ses_transport(boost::asio::any_io_executor ex,
                                              const ses_config& cfg,
                                              const http_client_config& http);

}  // namespace vrnumd::mail
