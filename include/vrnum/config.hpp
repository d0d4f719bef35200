#pragma once
/// \file
/// The library's configuration: plain structs for the `server`, `store`, `log` and `sources`
/// sections, and the loader that fills them from YAML. The daemon registers its own sections
/// with the same loader (`config_loader::add_section`), so every error reads alike.

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace vrnum {

/// A configuration error: names the file, the 1-based line and column, and the key path
/// (`server.max_body_bytes`, `sources[1].secret`). `what()` is the full one-line message.
class config_error : public std::runtime_error {
  public:
    config_error(std::string file, int line, int column, std::string key_path, std::string detail);

    const std::string& file() const noexcept { return file_; }
    int line() const noexcept { return line_; }
    int column() const noexcept { return column_; }
    const std::string& key_path() const noexcept { return key_path_; }
    const std::string& detail() const noexcept { return detail_; }

  private:
    std::string file_;
    int line_;
    int column_;
    std::string key_path_;
    std::string detail_;
};

/// `server.tls`: both files set = HTTPS.
struct tls_config {
    std::filesystem::path cert_file;
    std::filesystem::path key_file;
    bool enabled() const { return !cert_file.empty() && !key_file.empty(); }
};

/// `server`: listeners, limits and timeouts.
struct server_config {
    std::string listen = "127.0.0.1:8080";
    std::string public_base_url;  ///< empty = http(s)://<listen address>
    std::string admin_listen;     ///< empty = /readyz and /metrics on the main listener
    std::vector<std::string> trusted_proxies;  ///< CIDRs, validated
    std::string client_ip_header;
    unsigned threads = 0;  ///< 0 = hardware concurrency
    std::size_t max_connections = 10000;
    std::size_t max_body_bytes = 65536;
    std::size_t max_header_bytes = 16384;
    unsigned header_timeout_seconds = 10;
    unsigned body_timeout_seconds = 30;
    unsigned idle_timeout_seconds = 60;
    tls_config tls;
};

/// `store.synchronous`.
enum class sync_mode { full, normal };

/// `store`: the SQLite file and its ingest queue.
struct store_config {
    std::filesystem::path path = "var/vrnum.db";
    std::filesystem::path key_file = "var/master.key";
    sync_mode synchronous = sync_mode::full;
    std::size_t batch_max = 256;
    std::size_t queue_max = 65536;
};

/// `log`: JSON lines under `dir`, rotated daily.
struct log_config {
    std::filesystem::path dir = "var/log";
    bool to_stderr = false;      ///< key `stderr`
    std::string level = "info";  ///< trace | debug | info | warn | error | critical | off
};

/// The kinds of webhook source (SPEC §4).
enum class source_kind { twilio, telnyx, vonage, plivo, standard_webhooks, hmac };

/// Parses `twilio`, `standard-webhooks`, ... ; nullopt when unknown.
std::optional<source_kind> parse_source_kind(std::string_view text);
/// The configuration spelling of a kind.
std::string_view to_string(source_kind kind);

/// JSON Pointers to a message's fields (`hmac`, `standard-webhooks`).
struct field_pointers {
    std::string id = "/id";
    std::string from = "/from";
    std::string to = "/to";
    std::string text = "/text";
    std::string sent_at;  ///< optional
};

/// One entry of `sources`. Which members are used depends on `kind`.
struct source_config {
    std::string id;
    source_kind kind = source_kind::hmac;
    /// twilio/plivo `auth_token(s)`, vonage `signature_secret(s)`, hmac and standard-webhooks
    /// `secret(s)`: every value that may verify a request (rotation).
    std::vector<std::string> secrets;
    /// telnyx and standard-webhooks `public_key(s)`.
    std::vector<std::string> public_keys;
    std::string signature_method = "md5hash";  ///< vonage
    std::string header;                        ///< hmac (required)
    std::string algorithm = "sha256";          ///< hmac: sha1 | sha256 | sha512
    std::string encoding = "hex";              ///< hmac: hex | base64
    std::string prefix;                        ///< hmac
    std::string timestamp_header;              ///< hmac
    field_pointers fields;                     ///< hmac, standard-webhooks
    unsigned tolerance_seconds = 300;
    unsigned multipart_timeout_seconds = 1800;
};

/// The library's configuration. Relative paths are already resolved against the directory of
/// the file they came from.
struct config {
    std::filesystem::path file;  ///< where it was loaded from (empty for defaults)
    server_config server;
    store_config store;
    log_config log;
    std::vector<source_config> sources;
};

namespace detail {
struct config_node_impl;
}

/// A read cursor over one YAML mapping, sequence or scalar, handed to section parsers.
/// Every read marks the key as known; `finish()` then reports any key nobody read.
/// Getters return the default when the key is absent and throw `config_error` (with the
/// position and key path) on a wrong type or a bad value. Strings undergo `${ENV}`
/// interpolation; an unset variable is an error only when the node is in use.
/// Not thread-safe; lives only while a section is parsed.
class config_node {
  public:
    explicit config_node(std::shared_ptr<detail::config_node_impl> impl);
    ~config_node();
    config_node(const config_node&);
    config_node& operator=(const config_node&);

    /// True when the node exists in the file (an absent section is an empty node).
    bool present() const;
    bool has(std::string_view key) const;
    /// The dotted key path of this node (`server`, `sources[2]`).
    std::string path() const;
    /// The directory relative paths are resolved against.
    const std::filesystem::path& base_dir() const;

    std::string get_string(std::string_view key, std::string_view def) const;
    /// Like get_string, but absent or empty is an error.
    std::string require_string(std::string_view key) const;
    /// One of `allowed`, else an error listing them.
    std::string get_choice(std::string_view key, std::string_view def,
                           const std::vector<std::string_view>& allowed) const;
    bool get_bool(std::string_view key, bool def) const;
    std::uint64_t get_uint(std::string_view key, std::uint64_t def, std::uint64_t min = 0,
                           std::uint64_t max = UINT64_MAX) const;
    /// A path; relative ones are resolved against base_dir(). Empty stays empty.
    std::filesystem::path get_path(std::string_view key, std::string_view def) const;
    /// A sequence of strings (absent = `def`).
    std::vector<std::string> get_string_list(std::string_view key,
                                             const std::vector<std::string>& def = {}) const;
    /// A sequence of unsigned integers (absent = `def`).
    std::vector<std::uint64_t> get_uint_list(std::string_view key,
                                             const std::vector<std::uint64_t>& def = {}) const;
    /// An absolute http(s) URL without userinfo, query or fragment, or empty; with
    /// `origin_only`, `scheme://host[:port]` only.
    std::string get_url(std::string_view key, std::string_view def, bool origin_only = false) const;
    /// A sequence of IP addresses or CIDR networks (no host bits set).
    std::vector<std::string> get_network_list(std::string_view key,
                                              const std::vector<std::string>& def = {}) const;
    /// The mapping under `key` (absent = an empty node). `in_use` false means `${VAR}`
    /// errors are not raised inside it (e.g. `mail.ses` when the transport is `file`).
    config_node child(std::string_view key, bool in_use = true) const;
    /// The elements of the sequence under `key` (absent = none).
    std::vector<config_node> items(std::string_view key) const;

    /// Throws a config_error at this node's position (or at `key`'s when given and present).
    [[noreturn]] void fail(std::string_view key, std::string_view detail) const;
    /// Reports the first key of this mapping that no getter asked for.
    void finish() const;

  private:
    std::shared_ptr<detail::config_node_impl> impl_;
};

/// Loads YAML configuration: the library's sections plus the ones registered by the
/// embedding program. Unknown top-level sections and unknown keys are errors.
class config_loader {
  public:
    using section_parser = std::function<void(const config_node&)>;

    config_loader();
    /// Registers a top-level section. `parse` is always called, with an empty node when the
    /// section is absent, so it can apply defaults and check required keys.
    void add_section(std::string name, section_parser parse);

    /// Loads a file; throws config_error (I/O errors included, at line 0).
    config load_file(const std::filesystem::path& file) const;
    /// Loads text; `name` is used in messages, `base_dir` for relative paths.
    config load_string(std::string_view text, std::string name,
                       const std::filesystem::path& base_dir) const;

  private:
    std::vector<std::pair<std::string, section_parser>> sections_;
};

/// Loads a file that holds only the library's sections (what an embedder uses).
config load_config(const std::filesystem::path& file);

}  // namespace vrnum
