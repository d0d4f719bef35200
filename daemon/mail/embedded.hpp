#pragma once
/// \file
/// Files embedded in the binary at build time (cmake/vrnum_embed.cmake).

#include <string_view>
#include <vector>

namespace vrnumd::mail {

/// One embedded file: its name relative to its folder, and its bytes (static storage).
struct embedded_file {
    std::string_view name;   ///< e.g. `confirm_email.txt`
    std::string_view bytes;  ///< the file's content
};

/// The mail templates of daemon/mail/templates.
const std::vector<embedded_file>& embedded_templates();

}  // namespace vrnumd::mail
