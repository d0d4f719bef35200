#include "mail/templates.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <kainjow/mustache.hpp>

#include "mail/embedded.hpp"
#include "text/ascii.hpp"

namespace vrnumd::mail {
namespace {

using kainjow::mustache::data;
using kainjow::mustache::mustache;

const std::set<std::string, std::less<>> site_names{"site_name", "base_url", "support_email",
                                                    "privacy_email"};

// The names a template uses outside any section (variables and section names): what a
// render must be given. Tags inside a section may be looked up in the section's value.
void collect_needs(std::string_view text, const std::string& file, std::set<std::string>& out) {
    int depth = 0;
    std::size_t pos = 0;
    while ((pos = text.find("{{", pos)) != std::string_view::npos) {
        bool triple = text.substr(pos, 3) == "{{{";
        std::size_t open = pos + (triple ? 3 : 2);
        std::size_t close = text.find(triple ? "}}}" : "}}", open);
        if (close == std::string_view::npos) {
            throw std::runtime_error(file + ": unclosed tag");
        }
        std::string_view tag = vrnum::detail::trim_ows(text.substr(open, close - open));
        pos = close + (triple ? 3 : 2);
        char kind = tag.empty() ? '\0' : tag.front();
        if (kind == '=' || kind == '>') {
            throw std::runtime_error(file + ": delimiter changes and partials are not used here");
        }
        if (kind == '!') {
            continue;
        }
        if (kind == '/') {
            --depth;
            continue;
        }
        bool section = kind == '#' || kind == '^';
        std::string name(vrnum::detail::trim_ows(
            kind == '#' || kind == '^' || kind == '&' ? tag.substr(1) : tag));
        if (depth == 0 && !site_names.contains(name) && name != "content" && name != "subject") {
            out.insert(name);
        }
        depth += section ? 1 : 0;
    }
}

}  // namespace

// Each part parsed once; text parts and the subject leave values as they are.
struct template_set::parsed {
    std::vector<mustache> parts;

    void add(const std::string& text, const std::string& file, bool html) {
        mustache& m = parts.emplace_back(text);
        if (!m.is_valid()) {
            throw std::runtime_error(file + ": " + m.error_message());
        }
        if (!html) {
            m.set_custom_escape([](const std::string& v) { return v; });
        }
    }
};

namespace {

data to_data(const boost::json::value& v, std::string_view key) {
    switch (v.kind()) {
        case boost::json::kind::string:
            return data(std::string(v.get_string()));
        case boost::json::kind::bool_:
            return data(v.get_bool());
        case boost::json::kind::int64:
            return data(std::to_string(v.get_int64()));
        case boost::json::kind::uint64:
            return data(std::to_string(v.get_uint64()));
        default:
            throw std::invalid_argument("mail parameter " + std::string(key) +
                                        ": expected a string, an integer or a boolean");
    }
}

std::string one_line(std::string s) {
    std::replace_if(
        s.begin(), s.end(), [](char c) { return c == '\r' || c == '\n' || c == '\t'; }, ' ');
    return std::string(vrnum::detail::trim_ows(s));
}

const std::string& file_text(const std::map<std::string, std::string, std::less<>>& files,
                             const std::string& name) {
    auto it = files.find(name);
    if (it == files.end()) {
        throw std::runtime_error("mail templates: " + name + " is missing");
    }
    return it->second;
}

}  // namespace

template_set::template_set(const std::map<std::string, std::string, std::less<>>& files)
    : layouts_(std::make_shared<parsed>()) {
    layouts_->add(file_text(files, "layout.txt"), "layout.txt", false);
    layouts_->add(file_text(files, "layout.html"), "layout.html", true);
    for (const auto& [file, text] : files) {
        std::string_view f = file;
        if (!f.ends_with(".txt") || f == "layout.txt") {
            continue;
        }
        std::string name(f.substr(0, f.size() - 4));
        constexpr std::string_view prefix = "Subject: ";
        std::size_t end = text.find("\n\n");
        if (!text.starts_with(prefix) || end == std::string::npos) {
            throw std::runtime_error(file +
                                     ": expected a first line 'Subject: ...', then a "
                                     "blank line, then the text");
        }
        const std::string subject = text.substr(prefix.size(), end - prefix.size());
        const std::string body = text.substr(end + 2);
        const std::string html_file = name + ".html";
        const std::string& html = file_text(files, html_file);
        one t{std::make_shared<parsed>(), {}};
        t.parts->add(subject, file, false);
        t.parts->add(body, file, false);
        t.parts->add(html, html_file, true);
        std::set<std::string> needs;
        collect_needs(subject, file, needs);
        collect_needs(body, file, needs);
        collect_needs(html, html_file, needs);
        t.needs.assign(needs.begin(), needs.end());
        templates_.emplace(std::move(name), std::move(t));
    }
    for (const auto& [file, text] : files) {
        std::string_view f = file;
        if (f.ends_with(".html") && f != "layout.html" &&
            !templates_.contains(f.substr(0, f.size() - 5))) {
            throw std::runtime_error(file + ": no " + std::string(f.substr(0, f.size() - 5)) +
                                     ".txt beside it");
        }
    }
}

const template_set& template_set::builtin() {
    static const template_set set = [] {
        std::map<std::string, std::string, std::less<>> files;
        for (const embedded_file& f : embedded_templates()) {
            files.emplace(std::string(f.name), std::string(f.bytes));
        }
        return template_set(files);
    }();
    return set;
}

rendered_mail template_set::render(std::string_view name, const boost::json::object& params,
                                   const site_values& site) const {
    auto it = templates_.find(name);
    if (it == templates_.end()) {
        throw std::invalid_argument("unknown mail template " + std::string(name));
    }
    const one& t = it->second;
    data values = data::type::object;
    values.set("site_name", site.site_name);
    values.set("base_url", site.base_url);
    values.set("support_email", site.support_email);
    values.set("privacy_email", site.privacy_email);
    for (const auto& [key, value] : params) {
        values.set(std::string(key), to_data(value, key));
    }
    for (const std::string& need : t.needs) {
        if (!params.contains(need)) {
            throw std::invalid_argument("mail template " + std::string(name) + " needs " + need);
        }
    }
    std::lock_guard lock(render_mutex_);
    auto& parts = t.parts->parts;
    auto& layouts = layouts_->parts;
    rendered_mail out;
    out.subject = one_line(parts[0].render(values));
    values.set("subject", out.subject);
    std::string text = parts[1].render(values);
    while (!text.empty() && text.back() == '\n') {
        text.pop_back();  // the layout puts the blank line before the signature
    }
    values.set("content", text);
    out.text = layouts[0].render(values);
    values.set("content", parts[2].render(values));
    out.html = layouts[1].render(values);
    return out;
}

std::vector<std::string> template_set::names() const {
    std::vector<std::string> out;
    for (const auto& [name, t] : templates_) {
        out.push_back(name);
    }
    return out;
}

std::vector<std::string> template_set::parameters(std::string_view name) const {
    auto it = templates_.find(name);
    return it == templates_.end() ? std::vector<std::string>{} : it->second.needs;
}

}  // namespace vrnumd::mail
