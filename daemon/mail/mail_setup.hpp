#pragma once
/// \file
/// vrnumd's mail wiring: the transport `mail.transport` names, the sender, the site values
/// and the worker's timing, from the configuration.

#include <memory>
#include <string>
#include <string_view>

#include "config/daemon_config.hpp"
#include "mail/mailer.hpp"

namespace vrnumd::mail {

/// The base of the links in mail (no trailing slash): `server.public_base_url`, else
/// http(s)://`bound_address` (or `server.listen` when that is empty).
std::string link_base_url(const vrnum::config& lib, std::string_view bound_address = {});

/// True when `url`'s host is a loopback address or `localhost`.
bool loopback_url(std::string_view url);

/// A mailer for `cfg` on `store` (not started). Logs a warning when the file transport is in
/// use and `base_url` is not on loopback: mail then never leaves the machine. Counts attempts
/// in `registry` when given. Throws
/// std::runtime_error for an unusable setting (e.g. an unreadable `http_client.ca_file`).
std::unique_ptr<mailer> make_mailer(const daemon_config& cfg, vrnum::store& store,
                                    std::shared_ptr<spdlog::logger> log, std::string base_url,
                                    std::shared_ptr<prometheus::Registry> registry = {});

}  // namespace vrnumd::mail
