#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <sstream>
#include <stdexcept>
#include <utility>

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/yaml.h>

#include <vrnum/config.hpp>

#include "config/library_sections.hpp"

namespace vrnum {
namespace detail {

/// What every node of one load shares. Owned by the loader for the duration of one load.
struct config_context {
    std::string file;
    std::filesystem::path base_dir;
    /// Every node handed out, so that the loader can finish them all (the list is cleared at
    /// the end of the load, which also breaks the node -> context -> node cycle).
    std::vector<std::shared_ptr<config_node_impl>> nodes;
};

struct config_node_impl {
    std::shared_ptr<config_context> ctx;
    YAML::Node node;
    bool present = false;
    std::string path;
    YAML::Mark mark;  ///< its own, or the nearest present ancestor's when absent
    bool in_use = true;
    std::set<std::string, std::less<>> read;
    bool checked = false;
};

namespace {

struct entry {
    YAML::Node key;
    YAML::Node value;
};

std::string join(std::string_view path, std::string_view key) {
    if (path.empty()) {
        return std::string(key);
    }
    std::string out(path);
    out += '.';
    out += key;
    return out;
}

[[noreturn]] void throw_at(const config_node_impl& n, const YAML::Mark& mark, std::string path,
                           std::string detail) {
    int line = mark.is_null() ? 0 : mark.line + 1;
    int column = mark.is_null() ? 0 : mark.column + 1;
    throw config_error(n.ctx->file, line, column, std::move(path), std::move(detail));
}

// Hostile input must not put control bytes or megabytes into a one-line message.
std::string quote(std::string_view text) {
    constexpr std::size_t max_shown = 40;
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < max_shown; ++i) {
        auto c = static_cast<unsigned char>(text[i]);
        out += (c < 0x20 || c == 0x7f) ? '?' : static_cast<char>(c);
    }
    out += text.size() > max_shown ? "...'" : "'";
    return out;
}

std::string describe(const YAML::Node& node) {
    switch (node.Type()) {
        case YAML::NodeType::Map:
            return "a mapping";
        case YAML::NodeType::Sequence:
            return "a sequence";
        case YAML::NodeType::Scalar:
            return quote(node.Scalar());
        default:
            return "nothing";
    }
}

// A null value's own mark is wherever the parser stopped (often the next line): prefer the key's.
YAML::Mark best_mark(const YAML::Node& node, const YAML::Mark& fallback) {
    return node.Mark().is_null() || node.IsNull() ? fallback : node.Mark();
}

// Levenshtein distance, to suggest the key a typo was meant to be.
std::size_t distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t diag = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t up = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] != b[j - 1])});
            diag = up;
        }
    }
    return row[b.size()];
}

std::string unknown_key_detail(const config_node_impl& n, std::string_view key) {
    std::string detail = "unknown key";
    if (key.size() > 64) {
        return detail;
    }
    for (const auto& known : n.read) {
        // Two edits are a typo in a long key, but turn "id" into "to".
        if (distance(key, known) <= (known.size() > 4 ? 2u : 1u)) {
            return detail + " (did you mean '" + known + "'?)";
        }
    }
    return detail;
}

bool is_absent(const config_node_impl& n) {
    return !n.present || n.node.IsNull();
}

// Validates a mapping once: scalar keys, no duplicates.
void check_mapping(config_node_impl& n) {
    if (n.checked || is_absent(n)) {
        return;
    }
    if (!n.node.IsMap()) {
        throw_at(n, n.mark, n.path, "expected a mapping, got " + describe(n.node));
    }
    std::set<std::string, std::less<>> seen;
    // Range-for keeps each yaml-cpp iterator value alive (`it->first` would dangle).
    for (const auto& kv : n.node) {
        const YAML::Node key = kv.first;
        const YAML::Mark at = best_mark(key, n.mark);
        if (!key.IsScalar()) {
            throw_at(n, at, n.path, "a key must be a plain string, got " + describe(key));
        }
        if (!seen.insert(key.Scalar()).second) {
            throw_at(n, at, join(n.path, key.Scalar()), "duplicate key");
        }
    }
    n.checked = true;
}

std::optional<entry> find(config_node_impl& n, std::string_view key) {
    check_mapping(n);
    if (is_absent(n)) {
        return std::nullopt;
    }
    for (const auto& kv : n.node) {
        if (kv.first.Scalar() == key) {
            return entry{kv.first, kv.second};
        }
    }
    return std::nullopt;
}

// The value under `key` when it holds one (a null value counts as absent); marks it read.
std::optional<entry> lookup(config_node_impl& n, std::string_view key) {
    auto found = find(n, key);
    n.read.emplace(key);
    if (!found || found->value.IsNull()) {
        return std::nullopt;
    }
    return found;
}

[[noreturn]] void type_error(config_node_impl& n, std::string_view key, const entry& e,
                             std::string_view expected) {
    throw_at(n, best_mark(e.value, e.key.Mark()), join(n.path, key),
             "expected " + std::string(expected) + ", got " + describe(e.value));
}

bool valid_var_name(std::string_view name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) {
        return false;
    }
    return std::all_of(name.begin(), name.end(), [](char c) {
        return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
               (c >= '0' && c <= '9');
    });
}

// Replaces each `${VAR}` with the environment's value. Unset is an error only in use.
std::string interpolate(const config_node_impl& n, std::string_view text, const YAML::Mark& at,
                        const std::string& path) {
    std::string out;
    std::size_t pos = 0;
    while (true) {
        std::size_t start = text.find("${", pos);
        if (start == std::string_view::npos) {
            out.append(text.substr(pos));
            return out;
        }
        out.append(text.substr(pos, start - pos));
        std::size_t end = text.find('}', start + 2);
        if (end == std::string_view::npos) {
            throw_at(n, at, path, "unterminated ${ in " + quote(text));
        }
        std::string name(text.substr(start + 2, end - start - 2));
        if (!valid_var_name(name)) {
            throw_at(n, at, path, "bad environment variable name " + quote(name));
        }
        const char* value = std::getenv(name.c_str());
        if (value != nullptr) {
            out += value;
        } else if (n.in_use) {
            throw_at(n, at, path, "environment variable " + name + " is not set");
        }
        pos = end + 1;
    }
}

struct scalar_value {
    std::string text;
    YAML::Mark mark;
};

// The scalar under `key` (interpolated), or nullopt when absent.
std::optional<scalar_value> scalar(config_node_impl& n, std::string_view key,
                                   std::string_view expected) {
    auto e = lookup(n, key);
    if (!e) {
        return std::nullopt;
    }
    if (!e->value.IsScalar()) {
        type_error(n, key, *e, expected);
    }
    const YAML::Mark at = best_mark(e->value, e->key.Mark());
    return scalar_value{interpolate(n, e->value.Scalar(), at, join(n.path, key)), at};
}

std::shared_ptr<config_node_impl> make_child(config_node_impl& parent, std::string path,
                                             const YAML::Node* node, const YAML::Mark& mark,
                                             bool in_use) {
    auto c = std::make_shared<config_node_impl>();
    c->ctx = parent.ctx;
    if (node != nullptr) {
        c->node = *node;
        c->present = true;
    }
    c->path = std::move(path);
    c->mark = mark;
    c->in_use = parent.in_use && in_use;
    parent.ctx->nodes.push_back(c);
    return c;
}

template <typename T, typename Convert>
std::vector<T> get_list(config_node_impl& n, std::string_view key, const std::vector<T>& def,
                        std::string_view expected, Convert convert) {
    auto e = lookup(n, key);
    if (!e) {
        return def;
    }
    if (!e->value.IsSequence()) {
        type_error(n, key, *e, "a sequence");
    }
    std::vector<T> out;
    std::size_t i = 0;
    for (const auto& item : e->value) {
        std::string path = join(n.path, key) + "[" + std::to_string(i++) + "]";
        const YAML::Mark at = best_mark(item, e->value.Mark());
        if (!item.IsScalar()) {
            throw_at(n, at, path, "expected " + std::string(expected) + ", got " + describe(item));
        }
        out.push_back(convert(interpolate(n, item.Scalar(), at, path), at, path));
    }
    return out;
}

std::uint64_t to_uint(const config_node_impl& n, const std::string& text, const YAML::Mark& at,
                      const std::string& path, std::uint64_t min, std::uint64_t max) {
    unsigned long long value = 0;
    if (!YAML::convert<unsigned long long>::decode(YAML::Node(text), value)) {
        throw_at(n, at, path, "expected an unsigned integer, got " + quote(text));
    }
    if (value < min || value > max) {
        std::string range = max == UINT64_MAX ? "at least " + std::to_string(min)
                                              : std::to_string(min) + ".." + std::to_string(max);
        throw_at(n, at, path, "must be " + range + ", got " + std::to_string(value));
    }
    return value;
}

// Reports the first unread key of `n`.
void finish_node(config_node_impl& n) {
    check_mapping(n);
    if (is_absent(n)) {
        return;
    }
    for (const auto& kv : n.node) {
        const std::string key = kv.first.Scalar();
        if (n.read.find(key) == n.read.end()) {
            throw_at(n, best_mark(kv.first, n.mark), join(n.path, key), unknown_key_detail(n, key));
        }
    }
}

// Sees the events of a parse and keeps only where documents start.
struct document_starts final : YAML::EventHandler {
    std::vector<YAML::Mark> starts;
    void OnDocumentStart(const YAML::Mark& mark) override { starts.push_back(mark); }
    void OnDocumentEnd() override {}
    void OnNull(const YAML::Mark&, YAML::anchor_t) override {}
    void OnAlias(const YAML::Mark&, YAML::anchor_t) override {}
    void OnScalar(const YAML::Mark&, const std::string&, YAML::anchor_t,
                  const std::string&) override {}
    void OnSequenceStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                         YAML::EmitterStyle::value) override {}
    void OnSequenceEnd() override {}
    void OnMapStart(const YAML::Mark&, const std::string&, YAML::anchor_t,
                    YAML::EmitterStyle::value) override {}
    void OnMapEnd() override {}
};

// Rejects a second document. yaml-cpp 0.7's LoadAll() loops forever (allocating) on a stray
// `,` or `}` (fixed upstream in yaml-cpp PR #1319), so documents are counted with at most two
// parser steps instead; a "second document" at the first one's position is that stray token.
void check_single_document(const config_node_impl& root, const std::string& text) {
    std::istringstream in(text);
    YAML::Parser parser(in);
    document_starts events;
    if (!parser.HandleNextDocument(events) || !parser.HandleNextDocument(events) ||
        events.starts.size() < 2) {
        return;
    }
    const YAML::Mark& second = events.starts[1];
    throw_at(root, second, "",
             second.pos == events.starts[0].pos ? "invalid YAML: unexpected token"
                                                : "a configuration file holds one YAML document");
}

config parse_document(
    const std::vector<std::pair<std::string, config_loader::section_parser>>& sections,
    std::string_view text, std::shared_ptr<config_context> ctx) {
    std::string source(text);
    auto root = std::make_shared<config_node_impl>();
    root->ctx = ctx;
    check_single_document(*root, source);
    root->present = true;
    root->node = YAML::Load(source);
    root->mark = root->node.Mark();
    if (!is_absent(*root) && !root->node.IsMap()) {
        throw_at(*root, root->mark, "",
                 "the top level must be a mapping of sections, got " + describe(root->node));
    }
    // Unknown sections are reported before anything inside the known ones.
    for (std::string_view name : library_section_names()) {
        root->read.emplace(name);
    }
    for (const auto& section : sections) {
        root->read.insert(section.first);
    }
    finish_node(*root);

    config_node top(root);
    config cfg;
    parse_library_sections(top, cfg);
    for (const auto& [name, parse] : sections) {
        parse(top.child(name));
    }
    // Parsers need not call finish(): every node they were handed is checked here.
    for (const auto& node : ctx->nodes) {
        finish_node(*node);
    }
    return cfg;
}

}  // namespace
}  // namespace detail

namespace {
std::string format_error(const std::string& file, int line, int column, const std::string& path,
                         const std::string& detail) {
    std::string out = file;
    if (line > 0) {
        out += ":" + std::to_string(line) + ":" + std::to_string(column);
    }
    out += ": ";
    if (!path.empty()) {
        out += path + ": ";
    }
    return out + detail;
}
}  // namespace

config_error::config_error(std::string file, int line, int column, std::string key_path,
                           std::string detail)
    : std::runtime_error(format_error(file, line, column, key_path, detail)),
      file_(std::move(file)),
      line_(line),
      column_(column),
      key_path_(std::move(key_path)),
      detail_(std::move(detail)) {}

config_node::config_node(std::shared_ptr<detail::config_node_impl> impl) : impl_(std::move(impl)) {}
config_node::~config_node() = default;
config_node::config_node(const config_node&) = default;
config_node& config_node::operator=(const config_node&) = default;

bool config_node::present() const {
    return impl_->present;
}

bool config_node::has(std::string_view key) const {
    auto e = detail::find(*impl_, key);
    return e && !e->value.IsNull();
}

std::string config_node::path() const {
    return impl_->path;
}

const std::filesystem::path& config_node::base_dir() const {
    return impl_->ctx->base_dir;
}

std::string config_node::get_string(std::string_view key, std::string_view def) const {
    if (auto s = detail::scalar(*impl_, key, "a string")) {
        return std::move(s->text);
    }
    // A default may name a variable too (`mail.ses.access_key_id`).
    return detail::interpolate(*impl_, def, impl_->mark, detail::join(impl_->path, key));
}

std::string config_node::require_string(std::string_view key) const {
    std::string value = get_string(key, "");
    if (value.empty()) {
        fail(key, has(key) ? "must not be empty" : "is required");
    }
    return value;
}

std::string config_node::get_choice(std::string_view key, std::string_view def,
                                    const std::vector<std::string_view>& allowed) const {
    std::string value = get_string(key, def);
    if (std::find(allowed.begin(), allowed.end(), value) != allowed.end()) {
        return value;
    }
    std::string list;
    for (std::string_view a : allowed) {
        list += list.empty() ? "" : ", ";
        list += a;
    }
    fail(key, "must be one of " + list + ", got " + detail::quote(value));
}

bool config_node::get_bool(std::string_view key, bool def) const {
    auto s = detail::scalar(*impl_, key, "true or false");
    if (!s) {
        return def;
    }
    bool value = false;
    if (!YAML::convert<bool>::decode(YAML::Node(s->text), value)) {
        fail(key, "expected true or false, got " + detail::quote(s->text));
    }
    return value;
}

std::uint64_t config_node::get_uint(std::string_view key, std::uint64_t def, std::uint64_t min,
                                    std::uint64_t max) const {
    auto s = detail::scalar(*impl_, key, "an unsigned integer");
    if (!s) {
        return def;
    }
    return detail::to_uint(*impl_, s->text, s->mark, detail::join(impl_->path, key), min, max);
}

std::filesystem::path config_node::get_path(std::string_view key, std::string_view def) const {
    std::filesystem::path p(get_string(key, def));
    if (p.empty() || p.is_absolute()) {
        return p.lexically_normal();
    }
    return (impl_->ctx->base_dir / p).lexically_normal();
}

std::vector<std::string> config_node::get_string_list(std::string_view key,
                                                      const std::vector<std::string>& def) const {
    return detail::get_list<std::string>(
        *impl_, key, def, "a string",
        [](std::string s, const YAML::Mark&, const std::string&) { return s; });
}

std::vector<std::uint64_t> config_node::get_uint_list(std::string_view key,
                                                      const std::vector<std::uint64_t>& def) const {
    const auto& n = *impl_;
    return detail::get_list<std::uint64_t>(
        *impl_, key, def, "an unsigned integer",
        [&n](const std::string& s, const YAML::Mark& at, const std::string& path) {
            return detail::to_uint(n, s, at, path, 0, UINT64_MAX);
        });
}

config_node config_node::child(std::string_view key, bool in_use) const {
    // A key with no value (`cryptomus:`) is present but empty, so required keys are reported.
    auto e = detail::find(*impl_, key);
    impl_->read.emplace(key);
    std::string path = detail::join(impl_->path, key);
    if (!e) {
        return config_node(detail::make_child(*impl_, path, nullptr, impl_->mark, in_use));
    }
    if (!e->value.IsMap() && !e->value.IsNull()) {
        detail::type_error(*impl_, key, *e, "a mapping");
    }
    return config_node(detail::make_child(*impl_, path, &e->value,
                                          detail::best_mark(e->value, e->key.Mark()), in_use));
}

std::vector<config_node> config_node::items(std::string_view key) const {
    auto e = detail::lookup(*impl_, key);
    if (!e) {
        return {};
    }
    if (!e->value.IsSequence()) {
        detail::type_error(*impl_, key, *e, "a sequence");
    }
    std::vector<config_node> out;
    std::size_t i = 0;
    for (const auto& item : e->value) {
        std::string path = detail::join(impl_->path, key) + "[" + std::to_string(i++) + "]";
        const YAML::Mark at = detail::best_mark(item, e->value.Mark());
        if (!item.IsMap()) {
            detail::throw_at(*impl_, at, path, "expected a mapping, got " + detail::describe(item));
        }
        out.emplace_back(detail::make_child(*impl_, path, &item, at, true));
    }
    return out;
}

void config_node::fail(std::string_view key, std::string_view detail) const {
    if (key.empty()) {
        detail::throw_at(*impl_, impl_->mark, impl_->path, std::string(detail));
    }
    auto e = detail::find(*impl_, key);
    const YAML::Mark at =
        e ? detail::best_mark(e->value, detail::best_mark(e->key, impl_->mark)) : impl_->mark;
    detail::throw_at(*impl_, at, detail::join(impl_->path, key), std::string(detail));
}

void config_node::finish() const {
    detail::finish_node(*impl_);
}

config_loader::config_loader() = default;

void config_loader::add_section(std::string name, section_parser parse) {
    // A programming error, not a configuration one: two parsers would fight over one section.
    const auto& builtin = detail::library_section_names();
    bool taken = std::find(builtin.begin(), builtin.end(), name) != builtin.end() ||
                 std::any_of(sections_.begin(), sections_.end(),
                             [&name](const auto& s) { return s.first == name; });
    if (taken || name.empty() || !parse) {
        throw std::invalid_argument("config_loader::add_section: bad or taken name '" + name + "'");
    }
    sections_.emplace_back(std::move(name), std::move(parse));
}

config config_loader::load_file(const std::filesystem::path& file) const {
    std::string name = file.string();
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) {
        throw config_error(name, 0, 0, "", "is a directory, not a configuration file");
    }
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        throw config_error(name, 0, 0, "", std::string("cannot open: ") + std::strerror(errno));
    }
    std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    if (in.bad()) {
        throw config_error(name, 0, 0, "", std::string("cannot read: ") + std::strerror(errno));
    }
    std::filesystem::path dir;
    try {
        dir = std::filesystem::absolute(file).parent_path();
    } catch (const std::filesystem::filesystem_error& e) {
        throw config_error(name, 0, 0, "", e.what());
    }
    config cfg = load_string(text, name, dir);
    cfg.file = std::filesystem::absolute(file, ec).lexically_normal();
    return cfg;
}

config config_loader::load_string(std::string_view text, std::string name,
                                  const std::filesystem::path& base_dir) const {
    auto ctx = std::make_shared<detail::config_context>();
    ctx->file = name;
    // Nodes hold the context and the context holds the nodes: break the cycle on every exit.
    struct release {
        detail::config_context& ctx;
        ~release() { ctx.nodes.clear(); }
    } guard{*ctx};
    try {
        ctx->base_dir = std::filesystem::absolute(base_dir).lexically_normal();
        return detail::parse_document(sections_, text, ctx);
    } catch (const YAML::Exception& e) {
        int line = e.mark.is_null() ? 0 : e.mark.line + 1;
        int column = e.mark.is_null() ? 0 : e.mark.column + 1;
        bool deep = dynamic_cast<const YAML::DeepRecursion*>(&e) != nullptr;
        throw config_error(std::move(name), line, column, "",
                           "invalid YAML: " + (deep ? std::string("nested too deeply") : e.msg));
    } catch (const std::filesystem::filesystem_error& e) {
        throw config_error(std::move(name), 0, 0, "", e.what());
    }
}

config load_config(const std::filesystem::path& file) {
    return config_loader{}.load_file(file);
}

}  // namespace vrnum
