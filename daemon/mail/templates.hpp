#pragma once
/// \file
/// The transactional mail templates: Mustache (kainjow/mustache), one folder
/// (daemon/mail/templates), each mail a `NAME.txt` (its first line `Subject: ...`, a blank
/// line, then the text) and a `NAME.html` (the HTML body), both wrapped in `layout.txt` /
/// `layout.html`. Parsed once; `render` may be called from any thread (renders take turns).

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace vrnumd::mail {

/// A mail rendered and ready to send.
struct rendered_mail {
    std::string subject;  ///< one line
    std::string text;     ///< the text/plain part
    std::string html;     ///< the text/html part
};

/// What every template may use besides its own parameters: `site_name`, `base_url`
/// (`server.public_base_url`, without a trailing slash), `support_email`, `privacy_email`.
struct site_values {
    std::string site_name;      ///< `site.name`
    std::string base_url;       ///< links' base, no trailing slash
    std::string support_email;  ///< `site.contacts.support`
    std::string privacy_email;  ///< `site.contacts.privacy`
};

/// The parsed templates.
class template_set {
  public:
    /// From files named as in the folder (`NAME.txt`, `NAME.html`, `layout.*`). Throws
    /// std::runtime_error naming the file for a syntax error, a text template without its
    /// `Subject:` line, a template without its other half, or a missing layout.
    explicit template_set(const std::map<std::string, std::string, std::less<>>& files);
    /// The templates built into vrnumd.
    static const template_set& builtin();

    /// Renders `name` with `params` (strings, numbers or booleans) and `site`. Values are
    /// HTML-escaped in the HTML part and left as they are in the text and the subject. Throws
    /// std::invalid_argument for an unknown template or when `params` lacks a value the
    /// template uses outside a section.
    rendered_mail render(std::string_view name, const boost::json::object& params,
                         const site_values& site) const;
    /// The template names, sorted.
    std::vector<std::string> names() const;
    /// The parameters `name` needs (besides the site values), sorted; empty for an unknown name.
    std::vector<std::string> parameters(std::string_view name) const;

  private:
    struct parsed;  // kainjow/mustache objects, kept out of this header
    struct one {
        std::shared_ptr<parsed> parts;  // subject, text, HTML
        std::vector<std::string> needs;
    };
    std::map<std::string, one, std::less<>> templates_;
    std::shared_ptr<parsed> layouts_;  // text, HTML
    // kainjow's render is not const: one render at a time.
    mutable std::mutex render_mutex_;
};

}  // namespace vrnumd::mail
