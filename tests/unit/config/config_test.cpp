#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

#include <vrnum/config.hpp>

namespace {

namespace fs = std::filesystem;

vrnum::config load(const std::string& text) {
    return vrnum::config_loader{}.load_string(text, "t.yaml", "/base");
}

// Loads `text` and returns the error it must raise.
vrnum::config_error error_of(const std::string& text, const vrnum::config_loader& loader = {}) {
    try {
        loader.load_string(text, "t.yaml", "/base");
    } catch (const vrnum::config_error& e) {
        return e;
    }
    ADD_FAILURE() << "no error for:\n" << text;
    return vrnum::config_error("", 0, 0, "", "");
}

// "line:col key.path" of the error, for compact assertions.
std::string where(const vrnum::config_error& e) {
    return std::to_string(e.line()) + ":" + std::to_string(e.column()) + " " + e.key_path();
}

fs::path temp_dir() {
    std::random_device rd;
    auto dir = fs::temp_directory_path() /
               ("vrnum_config_test_" + std::to_string(rd()) + "_" +
                std::to_string(std::chrono::steady_clock::now().time_since_epoch().count()));
    fs::create_directories(dir);
    return dir;
}

void write_file(const fs::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

TEST(config_loader, defaults_from_empty_document) {
    for (const char* text : {"", "# only a comment\n", "---\n", "~\n"}) {
        vrnum::config c = load(text);
        EXPECT_EQ(c.server.listen, "127.0.0.1:8080");
        EXPECT_EQ(c.server.public_base_url, "");
        EXPECT_EQ(c.server.admin_listen, "");
        EXPECT_TRUE(c.server.trusted_proxies.empty());
        EXPECT_EQ(c.server.threads, 0u);
        EXPECT_EQ(c.server.max_connections, 10000u);
        EXPECT_EQ(c.server.max_body_bytes, 65536u);
        EXPECT_EQ(c.server.max_header_bytes, 16384u);
        EXPECT_EQ(c.server.header_timeout_seconds, 10u);
        EXPECT_EQ(c.server.body_timeout_seconds, 30u);
        EXPECT_EQ(c.server.idle_timeout_seconds, 60u);
        EXPECT_FALSE(c.server.tls.enabled());
        EXPECT_EQ(c.store.path, fs::path("/base/var/vrnum.db"));
        EXPECT_EQ(c.store.key_file, fs::path("/base/var/master.key"));
        EXPECT_EQ(c.store.synchronous, vrnum::sync_mode::full);
        EXPECT_EQ(c.store.batch_max, 256u);
        EXPECT_EQ(c.store.queue_max, 65536u);
        EXPECT_EQ(c.log.dir, fs::path("/base/var/log"));
        EXPECT_FALSE(c.log.to_stderr);
        EXPECT_EQ(c.log.level, "info");
        EXPECT_TRUE(c.sources.empty());
    }
}

TEST(config_loader, only_server_store_and_sources_is_valid) {
    vrnum::config c = load(R"(
server:
  listen: "[::1]:0"
  trusted_proxies: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"]
  tls: { cert_file: certs/c.pem, key_file: /etc/k.pem }
store:
  synchronous: normal
  batch_max: 1
sources:
  - { id: tw, kind: twilio, auth_tokens: [a, b] }
)");
    EXPECT_EQ(c.server.listen, "[::1]:0");
    EXPECT_EQ(c.server.trusted_proxies.size(), 3u);
    EXPECT_TRUE(c.server.tls.enabled());
    EXPECT_EQ(c.server.tls.cert_file, fs::path("/base/certs/c.pem"));
    EXPECT_EQ(c.server.tls.key_file, fs::path("/etc/k.pem"));
    EXPECT_EQ(c.store.synchronous, vrnum::sync_mode::normal);
    EXPECT_EQ(c.store.batch_max, 1u);
    ASSERT_EQ(c.sources.size(), 1u);
    EXPECT_EQ(c.sources[0].secrets, (std::vector<std::string>{"a", "b"}));
}

TEST(config_loader, every_source_kind_parses) {
    const std::string key = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=";
    vrnum::config c = load(R"(
sources:
  - { id: tw, kind: twilio, auth_token: "tok" }
  - { id: tx, kind: telnyx, public_keys: [")" +
                           key + R"("] }
  - { id: vn, kind: vonage, signature_secret: s, signature_method: sha256hmac }
  - { id: pl, kind: plivo, auth_tokens: [p1, p2], tolerance_seconds: 60 }
  - { id: sw, kind: standard-webhooks, secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      public_key: "whpk_)" +
                           key + R"(", fields: { to: /recipient } }
  - id: ys-1_x
    kind: hmac
    secrets: [s1, s2]
    header: X-Signature
    algorithm: sha512
    encoding: base64
    prefix: "sha512="
    timestamp_header: X-Timestamp
    fields: { id: /msg/id, from: /sender, to: /recipient, text: /message, sent_at: /sent_at }
    multipart_timeout_seconds: 10
)");
    ASSERT_EQ(c.sources.size(), 6u);
    EXPECT_EQ(c.sources[0].kind, vrnum::source_kind::twilio);
    EXPECT_EQ(c.sources[0].secrets, std::vector<std::string>{"tok"});
    EXPECT_EQ(c.sources[1].public_keys, std::vector<std::string>{key});
    EXPECT_EQ(c.sources[2].signature_method, "sha256hmac");
    EXPECT_EQ(c.sources[3].tolerance_seconds, 60u);
    EXPECT_EQ(c.sources[4].kind, vrnum::source_kind::standard_webhooks);
    EXPECT_EQ(c.sources[4].secrets.size(), 1u);
    EXPECT_EQ(c.sources[4].public_keys.size(), 1u);
    EXPECT_EQ(c.sources[4].fields.to, "/recipient");
    EXPECT_EQ(c.sources[4].fields.id, "/id");
    const auto& h = c.sources[5];
    EXPECT_EQ(h.id, "ys-1_x");
    EXPECT_EQ(h.header, "X-Signature");
    EXPECT_EQ(h.algorithm, "sha512");
    EXPECT_EQ(h.encoding, "base64");
    EXPECT_EQ(h.prefix, "sha512=");
    EXPECT_EQ(h.timestamp_header, "X-Timestamp");
    EXPECT_EQ(h.fields.id, "/msg/id");
    EXPECT_EQ(h.fields.sent_at, "/sent_at");
    EXPECT_EQ(h.tolerance_seconds, 300u);
    EXPECT_EQ(h.multipart_timeout_seconds, 10u);
}

TEST(config_error, message_names_file_position_and_key_path) {
    auto e = error_of("server:\n  threads: abc\n");
    EXPECT_EQ(e.file(), "t.yaml");
    EXPECT_EQ(where(e), "2:12 server.threads");
    EXPECT_EQ(std::string(e.what()),
              "t.yaml:2:12: server.threads: expected an unsigned integer, got 'abc'");
}

TEST(config_loader, unknown_key_at_top_level) {
    auto e = error_of("server: {}\nsever:\n  listen: x\n");
    EXPECT_EQ(where(e), "2:1 sever");
    EXPECT_NE(e.detail().find("unknown key"), std::string::npos);
}

TEST(config_loader, unknown_key_nested) {
    auto e = error_of("server:\n  tls:\n    cert_file: a\n    key_file: b\n    cert: c\n");
    EXPECT_EQ(where(e), "5:5 server.tls.cert");
    auto typo = error_of("store:\n  synchronus: full\n");
    EXPECT_EQ(where(typo), "2:3 store.synchronus");
    EXPECT_NE(typo.detail().find("did you mean 'synchronous'"), std::string::npos);
}

TEST(config_loader, unknown_key_inside_a_source_item) {
    auto e = error_of(R"(sources:
  - { id: a, kind: twilio, auth_token: t }
  - id: b
    kind: hmac
    secret: s
    header: X-Sig
    fields: { id: /i, frm: /f }
)");
    EXPECT_EQ(where(e), "7:23 sources[1].fields.frm");
    // A key of another kind is unknown too.
    auto other = error_of("sources:\n  - { id: a, kind: twilio, auth_token: t, header: X }\n");
    EXPECT_EQ(where(other), "2:43 sources[0].header");
}

TEST(config_loader, wrong_types_name_what_was_expected) {
    struct wrong {
        const char* text;
        const char* where;
        const char* detail;
    };
    for (const wrong& w : std::vector<wrong>{
             {"server:\n  listen: {a: 1}\n", "2:11 server.listen",
              "expected a string, got a mapping"},
             {"server:\n  max_body_bytes: [1]\n", "2:19 server.max_body_bytes", "got a sequence"},
             {"server:\n  threads: -1\n", "2:12 server.threads", "got '-1'"},
             {"server:\n  threads: 1.5\n", "2:12 server.threads", "unsigned integer"},
             {"log:\n  stderr: maybe\n", "2:11 log.stderr", "expected true or false, got 'maybe'"},
             {"server:\n  trusted_proxies: 10.0.0.0/8\n", "2:20 server.trusted_proxies",
              "expected a sequence"},
             {"server:\n  trusted_proxies: [[a]]\n", "2:21 server.trusted_proxies[0]",
              "expected a string, got a sequence"},
             {"server: 5\n", "1:9 server", "expected a mapping, got '5'"},
             {"server:\n  tls: on\n", "2:8 server.tls", "expected a mapping"},
             {"sources: {id: a}\n", "1:10 sources", "expected a sequence"},
             {"sources: [a]\n", "1:11 sources[0]", "expected a mapping, got 'a'"},
         }) {
        auto e = error_of(w.text);
        EXPECT_EQ(where(e), w.where) << w.text;
        EXPECT_NE(e.detail().find(w.detail), std::string::npos) << e.what();
    }
    EXPECT_TRUE(load("log:\n  stderr: yes\n").log.to_stderr);
    EXPECT_FALSE(load("log:\n  stderr: False\n").log.to_stderr);
}

TEST(config_loader, bad_values_are_rejected) {
    for (const char* text : {
             "server: { listen: localhost }",
             "server: { listen: \"example.com:80\" }",
             "server: { listen: \"127.0.0.1:65536\" }",
             "server: { listen: \"127.0.0.1:\" }",
             "server: { listen: \"::1:80\" }",
             "server: { listen: \"user@127.0.0.1:80\" }",
             "server: { admin_listen: \"10.0.0.1\" }",
             "server: { public_base_url: \"ftp://example.com\" }",
             "server: { public_base_url: \"https://example.com/?a=b\" }",
             "server: { public_base_url: \"https://example.com/#x\" }",
             "server: { public_base_url: \"example.com\" }",
             "server: { trusted_proxies: [\"10.0.0.1/8\"] }",
             "server: { trusted_proxies: [\"300.1.1.1\"] }",
             "server: { trusted_proxies: [\"10.0.0.0/33\"] }",
             "server: { threads: 1025 }",
             "server: { max_connections: 0 }",
             "server: { max_body_bytes: 0 }",
             "server: { max_header_bytes: 1023 }",
             "server: { max_header_bytes: 1048577 }",
             "server: { header_timeout_seconds: 0 }",
             "server: { body_timeout_seconds: 0 }",
             "server: { idle_timeout_seconds: 0 }",
             "server: { tls: { cert_file: c.pem } }",
             "server: { tls: { key_file: k.pem } }",
             "store: { synchronous: off }",
             "store: { batch_max: 0 }",
             "store: { batch_max: 65537 }",
             "store: { queue_max: 0 }",
             "log: { level: verbose }",
         }) {
        EXPECT_THROW(load(text), vrnum::config_error) << text;
    }
    EXPECT_EQ(load("server: { listen: \"localhost:65535\", admin_listen: \"0.0.0.0:9100\", "
                   "public_base_url: \"https://sms.example.com/gw\", threads: 1024, "
                   "max_header_bytes: 1048576 }")
                  .server.public_base_url,
              "https://sms.example.com/gw");
    auto e = error_of("server:\n  listen: \"127.0.0.1:99999\"\n");
    EXPECT_EQ(where(e), "2:11 server.listen");
    auto range = error_of("store:\n  batch_max: 0\n");
    EXPECT_EQ(range.detail(), "must be 1..65536, got 0");
}

TEST(config_loader, duplicate_key_is_an_error) {
    auto e = error_of("server:\n  threads: 1\n  threads: 2\n");
    EXPECT_EQ(where(e), "3:3 server.threads");
    EXPECT_EQ(e.detail(), "duplicate key");
    EXPECT_EQ(where(error_of("log: {}\nlog: {}\n")), "2:1 log");
}

TEST(config_loader, env_vars_are_interpolated) {
    ::setenv("VRNUM_TEST_TOKEN", "s3cret", 1);
    ::setenv("VRNUM_TEST_PORT", "9090", 1);
    ::unsetenv("VRNUM_TEST_UNSET");
    vrnum::config c = load(R"(
server:
  listen: "127.0.0.1:${VRNUM_TEST_PORT}"
  client_ip_header: "$HOME and $ {x} stay"
sources:
  - { id: a, kind: twilio, auth_token: "pre-${VRNUM_TEST_TOKEN}-${VRNUM_TEST_TOKEN}" }
)");
    EXPECT_EQ(c.server.listen, "127.0.0.1:9090");
    EXPECT_EQ(c.server.client_ip_header, "$HOME and $ {x} stay");
    EXPECT_EQ(c.sources[0].secrets[0], "pre-s3cret-s3cret");

    auto e =
        error_of("sources:\n  - { id: a, kind: twilio, auth_token: \"${VRNUM_TEST_UNSET}\" }\n");
    EXPECT_EQ(where(e), "2:40 sources[0].auth_token");
    EXPECT_EQ(e.detail(), "environment variable VRNUM_TEST_UNSET is not set");
    EXPECT_THROW(load("server: { client_ip_header: \"${VRNUM_TEST_TOKEN\" }"), vrnum::config_error);
    EXPECT_THROW(load("server: { client_ip_header: \"${A-B}\" }"), vrnum::config_error);
    ::unsetenv("VRNUM_TEST_TOKEN");
    ::unsetenv("VRNUM_TEST_PORT");
}

TEST(config_loader, unset_env_var_is_fine_in_a_section_not_in_use) {
    ::unsetenv("VRNUM_TEST_UNSET");
    std::string seen = "untouched";
    vrnum::config_loader loader;
    loader.add_section("extra", [&](const vrnum::config_node& n) {
        bool on = n.get_bool("enabled", false);
        vrnum::config_node sub = n.child("sub", on);
        seen = sub.get_string("key", "${VRNUM_TEST_UNSET}");
        (void)sub.child("deeper").get_string("key", "");
    });
    loader.load_string(
        "extra:\n  sub: { key: \"x${VRNUM_TEST_UNSET}y\", deeper: { key: "
        "\"${VRNUM_TEST_UNSET}\" } }\n",
        "t.yaml", "/base");
    EXPECT_EQ(seen, "xy");
    loader.load_string("", "t.yaml", "/base");
    EXPECT_EQ(seen, "");
    auto e =
        error_of("extra:\n  enabled: true\n  sub: { key: \"x${VRNUM_TEST_UNSET}y\" }\n", loader);
    EXPECT_EQ(where(e), "3:15 extra.sub.key");
}

TEST(config_loader, registered_sections_are_always_called_and_checked) {
    int calls = 0;
    bool present = true;
    vrnum::config_loader loader;
    loader.add_section("extra", [&](const vrnum::config_node& n) {
        ++calls;
        present = n.present();
        EXPECT_EQ(n.path(), "extra");
        EXPECT_EQ(n.base_dir(), fs::path("/base"));
        (void)n.get_uint("count", 1);
        // Deliberately no finish() anywhere: the loader must still catch unknown keys.
        for (const auto& item : n.items("list")) {
            (void)item.child("inner").get_string("name", "");
        }
    });
    loader.load_string("server: {}\n", "t.yaml", "/base");
    EXPECT_EQ(calls, 1);
    EXPECT_FALSE(present);
    EXPECT_EQ(where(error_of("extra:\n  cnt: 1\n", loader)), "2:3 extra.cnt");
    EXPECT_EQ(where(error_of("extra:\n  list:\n    - inner: { name: a, nmae: b }\n", loader)),
              "3:25 extra.list[0].inner.nmae");
    EXPECT_EQ(where(error_of("extra:\n  list:\n    - { inner: {}, x: 1 }\n", loader)),
              "3:20 extra.list[0].x");
    // A library section name stays known; an unregistered one is not.
    EXPECT_EQ(where(error_of("other: {}\n", loader)), "1:1 other");
    EXPECT_THROW(loader.add_section("extra", [](const vrnum::config_node&) {}),
                 std::invalid_argument);
    EXPECT_THROW(loader.add_section("server", [](const vrnum::config_node&) {}),
                 std::invalid_argument);
}

TEST(config_loader, relative_paths_resolve_against_the_config_directory) {
    vrnum::config c = load(R"(
store: { path: "data/../db/x.db", key_file: "/abs/master.key" }
log: { dir: "../logs" }
)");
    EXPECT_EQ(c.store.path, fs::path("/base/db/x.db"));
    EXPECT_EQ(c.store.key_file, fs::path("/abs/master.key"));
    EXPECT_EQ(c.log.dir, fs::path("/logs"));

    fs::path dir = temp_dir();
    fs::create_directories(dir / "etc");
    write_file(dir / "etc" / "v.yaml", "store: { path: db.sqlite }\n");
    vrnum::config f = vrnum::load_config(dir / "etc" / "v.yaml");
    EXPECT_EQ(f.store.path, (dir / "etc" / "db.sqlite").lexically_normal());
    EXPECT_EQ(f.log.dir, (dir / "etc" / "var" / "log").lexically_normal());
    EXPECT_EQ(f.file, (dir / "etc" / "v.yaml").lexically_normal());

    write_file(dir / "bad.yaml", "store:\n  path: [\n");
    try {
        vrnum::load_config(dir / "bad.yaml");
        ADD_FAILURE() << "no syntax error";
    } catch (const vrnum::config_error& e) {
        EXPECT_EQ(e.file(), (dir / "bad.yaml").string());
        EXPECT_GT(e.line(), 0);
    }
    fs::remove_all(dir);
}

TEST(config_loader, io_errors_are_config_errors) {
    fs::path dir = temp_dir();
    try {
        vrnum::load_config(dir / "missing.yaml");
        ADD_FAILURE() << "no error for a missing file";
    } catch (const vrnum::config_error& e) {
        EXPECT_EQ(e.line(), 0);
        EXPECT_EQ(e.file(), (dir / "missing.yaml").string());
        EXPECT_NE(std::string(e.what()).find("cannot open"), std::string::npos) << e.what();
    }
    EXPECT_THROW(vrnum::load_config(dir), vrnum::config_error);
    fs::remove_all(dir);
}

TEST(config_sources, ids_are_checked) {
    auto dup = error_of(R"(sources:
  - { id: a, kind: twilio, auth_token: t }
  - { id: a, kind: plivo, auth_token: t }
)");
    EXPECT_EQ(where(dup), "3:11 sources[1].id");
    EXPECT_NE(dup.detail().find("duplicate"), std::string::npos);
    for (const char* id : {"cryptomus", "Upper", "-lead", "has space", "\"\""}) {
        std::string text =
            std::string("sources:\n  - { id: ") + id + ", kind: twilio, auth_token: t }\n";
        EXPECT_THROW(load(text), vrnum::config_error) << id;
    }
    EXPECT_EQ(where(error_of("sources:\n  - { kind: twilio, auth_token: t }\n")),
              "2:5 sources[0].id");
    EXPECT_EQ(where(error_of("sources:\n  - { id: a, auth_token: t }\n")), "2:5 sources[0].kind");
    auto kind = error_of("sources:\n  - { id: a, kind: twillio, auth_token: t }\n");
    EXPECT_EQ(where(kind), "2:20 sources[0].kind");
    EXPECT_NE(kind.detail().find("standard-webhooks"), std::string::npos);
    EXPECT_EQ(load(std::string(64, 'a').insert(0, "sources:\n  - { id: ") +
                   ", kind: twilio, auth_token: t }\n")
                  .sources.size(),
              1u);
}

TEST(config_sources, singular_and_plural_secrets) {
    auto both =
        error_of("sources:\n  - { id: a, kind: twilio, auth_token: t, auth_tokens: [u] }\n");
    EXPECT_EQ(both.key_path(), "sources[0].auth_tokens");
    EXPECT_NE(both.detail().find("not both"), std::string::npos);
    auto neither = error_of("sources:\n  - { id: a, kind: plivo }\n");
    EXPECT_EQ(where(neither), "2:5 sources[0]");
    EXPECT_EQ(neither.detail(), "needs auth_token or auth_tokens");
    EXPECT_EQ(error_of("sources:\n  - { id: a, kind: vonage }\n").detail(),
              "needs signature_secret or signature_secrets");
    EXPECT_EQ(error_of("sources:\n  - { id: a, kind: telnyx }\n").detail(),
              "needs public_key or public_keys");
    for (const char* text : {
             "{ id: a, kind: twilio, auth_tokens: [] }",
             "{ id: a, kind: twilio, auth_token: \"\" }",
             "{ id: a, kind: twilio, auth_tokens: [\"\"] }",
             "{ id: a, kind: hmac, secret: s, secrets: [t], header: X }",
             "{ id: a, kind: standard-webhooks }",
             "{ id: a, kind: standard-webhooks, secret: nope }",
             "{ id: a, kind: standard-webhooks, secret: \"whsec_\" }",
             "{ id: a, kind: standard-webhooks, public_key: \"whpk_AAAA\" }",
             "{ id: a, kind: telnyx, public_key: \"AAAA\" }",
             "{ id: a, kind: telnyx, public_key: \"not base64 at all, not even close!!!!!!!!!\" }",
             "{ id: a, kind: vonage, signature_secret: s, signature_method: sha384hmac }",
             "{ id: a, kind: hmac, secret: s }",
             "{ id: a, kind: hmac, secret: s, header: X, algorithm: md5 }",
             "{ id: a, kind: hmac, secret: s, header: X, encoding: base32 }",
             "{ id: a, kind: hmac, secret: s, header: X, fields: { id: msg_id } }",
             "{ id: a, kind: hmac, secret: s, header: X, tolerance_seconds: 0 }",
             "{ id: a, kind: hmac, secret: s, header: X, multipart_timeout_seconds: 0 }",
             "{ id: a, kind: twilio, auth_token: t, fields: {} }",
         }) {
        EXPECT_THROW(load(std::string("sources:\n  - ") + text + "\n"), vrnum::config_error)
            << text;
    }
}

TEST(config_sources, kind_names_round_trip) {
    for (auto kind : {vrnum::source_kind::twilio, vrnum::source_kind::telnyx,
                      vrnum::source_kind::vonage, vrnum::source_kind::plivo,
                      vrnum::source_kind::standard_webhooks, vrnum::source_kind::hmac}) {
        EXPECT_EQ(vrnum::parse_source_kind(vrnum::to_string(kind)), kind);
    }
    EXPECT_EQ(vrnum::to_string(vrnum::source_kind::standard_webhooks), "standard-webhooks");
    EXPECT_FALSE(vrnum::parse_source_kind("standard_webhooks").has_value());
    EXPECT_FALSE(vrnum::parse_source_kind("").has_value());
}

TEST(config_hostile_input, gives_config_errors_not_crashes) {
    std::string garbage;
    std::mt19937 rng(42);
    for (int i = 0; i < 4096; ++i) {
        garbage += static_cast<char>(rng() & 0xff);
    }
    std::string deep_map;
    for (int i = 0; i < 5000; ++i) {
        deep_map += "{a: ";
    }
    std::string deep_block = "server:\n";
    for (int i = 1; i < 3000; ++i) {
        deep_block += std::string(static_cast<std::size_t>(i) * 2, ' ') + "k:\n";
    }
    std::string laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    for (char c = 'b'; c <= 'z'; ++c) {
        laughs += std::string(1, c) + ": &" + c + " [*" + static_cast<char>(c - 1) + ", *" +
                  static_cast<char>(c - 1) + ", *" + static_cast<char>(c - 1) + "]\n";
    }
    for (const std::string& text : {
             garbage,
             deep_map,
             deep_block,
             "server:\n  client_ip_header: \"" + std::string(10 << 20, 'x') + "\"\nbogus: 1\n",
             laughs,
             std::string("server: &s { threads: 1 }\nstore: *s\n"),
             std::string("- a\n- b\n"),
             std::string("just a scalar\n"),
             std::string("server: {}\n---\nserver: {}\n"),
             std::string("? [a, b]\n: c\n"),
             std::string("server: { ? {a: 1} : 2 }\n"),
             std::string("server: {\n"),
             std::string("\t\tserver:\n"),
             std::string("server:\n  listen: \"\xff\xfe\"\n"),
             std::string("a\0b: c\n", 7),
             std::string("!!binary AAAA\n"),
             std::string("server: !custom { threads: 1 }\nx: y\n"),
             std::string("&a [*a]\n"),
             std::string("server: *undefined\n"),
             // yaml-cpp 0.7's LoadAll() loops forever on these (found by config_fuzz).
             std::string("}\n"),
             std::string(",\n"),
             std::string(", a: b }\nsources:\n  - { x: \"${Y}\" }\n"),
         }) {
        EXPECT_THROW(load(text), vrnum::config_error) << text.substr(0, 60);
    }
    // Anchors and aliases are fine where the shape fits.
    vrnum::config c = load("sources:\n  - &s { id: a, kind: twilio, auth_token: t }\n");
    EXPECT_EQ(c.sources.size(), 1u);
}

}  // namespace
