#pragma once
// What the account tests share: vrnumd running on a config of the test's own, a client that
// keeps the session cookie and CSRF token as a browser's page would, the tokens mailed to an
// address (read from the file transport's .eml files), and the stand-in Turnstile.

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "crypto/encoding.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/wait.hpp"

namespace vrnum::test {

/// A password the policy takes.
inline const std::string good_password = "correct horse battery staple";

/// vrnumd serving a config made of the common settings plus `extra` YAML sections.
class account_daemon {
  public:
    /// `public_base_url` empty: derived from the bound address, as the daemon does.
    explicit account_daemon(const std::string& extra = "",
                            const std::string& rate_limit = "per_ip_per_minute: 100000",
                            const std::string& public_base_url = "")
        : config_(dir_.write("vrnum.yaml", R"(server:
  listen: "127.0.0.1:0"
  public_base_url: ")" + public_base_url + R"("
store:
  path: "var/vrnum.db"
log:
  dir: "var/log"
sources:
  - { id: demo, kind: hmac, secret: "test-secret", header: X-Signature }
mail:
  transport: file
  file: { dir: "var/mail" }
auth:
  rate_limit: { )" + rate_limit + R"( }
)" + extra)),
          proc_(std::make_unique<child_process>(
              std::vector<std::string>{vrnumd_path(), "serve", "-c", config_.string()})) {
        std::string error;
        address_ = start_daemon(*proc_, &error);
        if (address_.empty()) {
            throw std::runtime_error("vrnumd did not start: " + error);
        }
        origin_ = public_base_url.empty() ? "http://" + address_ : public_base_url;
    }
    const std::string& address() const { return address_; }
    /// The site's origin, as its pages send it.
    const std::string& origin() const { return origin_; }
    const std::filesystem::path& dir() const { return dir_.path(); }
    std::filesystem::path mail_dir() const { return dir_.path() / "var/mail"; }
    const std::filesystem::path& config() const { return config_; }
    /// Runs `vrnumd ARGS... -c CONFIG`.
    run_result cli(std::vector<std::string> args) const {
        args.insert(args.begin(), vrnumd_path());
        args.push_back("-c");
        args.push_back(config_.string());
        return run(args, std::chrono::seconds(120));
    }
    /// Starts the daemon again on the same configuration and store (after `stop`).
    void restart() {
        bool derived = origin_ == "http://" + address_;
        stop();
        proc_ = std::make_unique<child_process>(
            std::vector<std::string>{vrnumd_path(), "serve", "-c", config_.string()});
        std::string error;
        address_ = start_daemon(*proc_, &error);
        if (address_.empty()) {
            throw std::runtime_error("vrnumd did not start again: " + error);
        }
        if (derived) {
            origin_ = "http://" + address_;
        }
    }
    /// Stops the daemon (SIGTERM) and waits for it.
    void stop() {
        if (proc_) {
            proc_->signal(SIGTERM);
            proc_->wait(std::chrono::seconds(60));
            proc_.reset();
        }
    }
    /// The value of an unlabelled metric in `/metrics` (0 when absent).
    double metric(const std::string& name) const {
        auto r = request(address_, "GET", "/metrics");
        std::istringstream in(r ? r->body : "");
        for (std::string line; std::getline(in, line);) {
            if (line.rfind(name + " ", 0) == 0) {
                return std::stod(line.substr(name.size() + 1));
            }
        }
        return 0;
    }

  private:
    temp_dir dir_;
    std::filesystem::path config_;
    std::unique_ptr<child_process> proc_;
    std::string address_;
    std::string origin_;
};

/// The text of every base64 part of an .eml, decoded, one after another.
inline std::string decoded_parts(const std::string& eml) {
    std::string out, block;
    std::istringstream in(eml);
    auto flush = [&] {
        if (auto d = vrnum::detail::decode_base64(block)) {
            out += *d;
        }
        block.clear();
    };
    for (std::string line; std::getline(in, line);) {
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        bool b64 = !line.empty() && line.find_first_not_of(
                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                        "0123456789+/=") == std::string::npos;
        if (b64 && line.size() >= 4) {
            block += line;
        } else {
            flush();
        }
    }
    flush();
    return out;
}

/// The mails to `to` in `dir`, oldest first, decoded.
inline std::vector<std::string> mails_to(const std::filesystem::path& dir, const std::string& to) {
    std::vector<std::pair<std::filesystem::file_time_type, std::string>> found;
    if (!std::filesystem::exists(dir)) {
        return {};
    }
    for (const auto& e : std::filesystem::directory_iterator(dir)) {
        if (e.path().extension() != ".eml") {
            continue;
        }
        std::ifstream f(e.path(), std::ios::binary);
        std::string eml((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
        if (eml.find("\r\nTo: " + to + "\r\n") == std::string::npos &&
            eml.find("\r\nTo: <" + to + ">\r\n") == std::string::npos) {
            continue;
        }
        std::string subject;
        std::smatch m;
        if (std::regex_search(eml, m, std::regex("\r\nSubject: ([^\r]*)"))) {
            subject = m[1];
        }
        found.emplace_back(e.last_write_time(), subject + "\n" + decoded_parts(eml));
    }
    std::sort(found.begin(), found.end());
    std::vector<std::string> out;
    for (auto& f : found) {
        out.push_back(std::move(f.second));
    }
    return out;
}

/// True once a mail to `to` holding `text` (its subject or its decoded parts) is in `dir`,
/// waiting up to `limit`.
inline bool mailed(const std::filesystem::path& dir, const std::string& to, const std::string& text,
                   std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    return wait_for(
        [&] {
            for (const auto& m : mails_to(dir, to)) {
                if (m.find(text) != std::string::npos) {
                    return true;
                }
            }
            return false;
        },
        limit);
}

/// The token of the newest mail to `to` whose link path is `link` (e.g. "/confirm-email"),
/// waiting up to 20 s for it; "" when none comes.
inline std::string mailed_token(const std::filesystem::path& dir, const std::string& to,
                                const std::string& link, std::size_t at_least = 1) {
    std::regex re(link + "#token=([A-Za-z0-9_-]+)");
    std::string found;
    wait_for([&] {
        std::vector<std::string> tokens;
        for (const auto& mail : mails_to(dir, to)) {
            std::smatch m;
            if (std::regex_search(mail, m, re)) {
                tokens.push_back(m[1]);
            }
        }
        if (tokens.size() < at_least) {
            return false;
        }
        found = tokens.back();
        return true;
    });
    return found;
}

/// A client of the JSON API as the dashboard is one: it keeps the session cookie, sends the
/// CSRF token and a same-origin `Origin` on state changes.
class api_client {
  public:
    /// `origin`: what the client sends as `Origin` (default: http://ADDRESS).
    explicit api_client(std::string address, std::string origin = "")
        : address_(std::move(address)),
          origin_(origin.empty() ? "http://" + address_ : std::move(origin)) {}

    /// METHOD /api/v1PATH with `body` (JSON); `extra` headers after the client's own.
    http_answer call(const std::string& method, const std::string& path,
                     const std::string& body = "",
                     std::vector<std::pair<std::string, std::string>> extra = {}) {
        std::vector<std::pair<std::string, std::string>> h;
        if (!body.empty()) {
            h.emplace_back("Content-Type", "application/json");
        }
        if (!cookie_.empty()) {
            h.emplace_back("Cookie", cookie_);
        }
        if (method != "GET" && method != "HEAD" && !csrf_.empty()) {
            h.emplace_back("X-CSRF-Token", csrf_);
        }
        if (method != "GET" && method != "HEAD") {
            h.emplace_back("Origin", origin_);
        }
        h.insert(h.end(), extra.begin(), extra.end());
        auto r = request(address_, method, "/api/v1" + path, body, h);
        if (!r) {
            throw std::runtime_error(method + " " + path + ": no answer");
        }
        std::string set = r->header("Set-Cookie");
        if (!set.empty()) {
            std::string pair = set.substr(0, set.find(';'));
            cookie_ = pair.substr(pair.find('=') + 1).empty() ? "" : pair;
        }
        return *r;
    }
    /// Logs in; true on 200 (keeping the cookie and the CSRF token).
    bool login(const std::string& email, const std::string& password = good_password) {
        auto r = call(
            "POST", "/auth/login",
            boost::json::serialize(boost::json::object{{"email", email}, {"password", password}}));
        if (r.status != 200) {
            return false;
        }
        csrf_ = std::string(boost::json::parse(r.body).at("csrf_token").as_string());
        return true;
    }
    const std::string& cookie() const { return cookie_; }
    const std::string& csrf() const { return csrf_; }
    void set_csrf(std::string c) { csrf_ = std::move(c); }
    void set_cookie(std::string c) { cookie_ = std::move(c); }

  private:
    std::string address_;
    std::string origin_;
    std::string cookie_;  // NAME=VALUE
    std::string csrf_;
};

/// The body of `r` as a JSON object.
inline boost::json::object body_of(const http_answer& r) {
    return boost::json::parse(r.body).as_object();
}

/// A JSON body from an object.
inline std::string json_text(const boost::json::object& o) {
    return boost::json::serialize(o);
}

/// Registers `email` and confirms it from the mail; throws when a step fails.
inline void sign_up(const account_daemon& d, const std::string& email,
                    const std::string& password = good_password,
                    const boost::json::object& extra = {}) {
    api_client c(d.address(), d.origin());
    boost::json::object body{{"email", email}, {"password", password}, {"age_confirmed", true}};
    for (const auto& [k, v] : extra) {
        body[k] = v;
    }
    auto r = c.call("POST", "/auth/register", json_text(body));
    if (r.status != 202) {
        throw std::runtime_error("register " + email + ": " + std::to_string(r.status) + " " +
                                 r.body);
    }
    std::string token = mailed_token(d.mail_dir(), email, "/confirm-email");
    if (token.empty()) {
        throw std::runtime_error("no confirmation mail for " + email);
    }
    r = c.call("POST", "/auth/confirm-email", json_text({{"token", token}}));
    if (r.status != 200) {
        throw std::runtime_error("confirm " + email + ": " + r.body);
    }
}

/// The stand-in Turnstile (tests/accounts/fake_turnstile.py) as a child process.
class fake_turnstile {
  public:
    fake_turnstile(const temp_dir& dir, const std::string& secret, const std::string& token,
                   bool down = false)
        : record_(dir.path() / "turnstile.jsonl"), proc_([&] {
              std::vector<std::string> argv{
                  "/usr/bin/python3", source_dir() + "/tests/accounts/fake_turnstile.py",
                  "--secret",         secret,
                  "--token",          token,
                  "--record",         record_.string()};
              if (down) {
                  argv.push_back("--down");
              }
              return argv;
          }()) {
        auto line = proc_.read_line(std::chrono::seconds(20));
        if (!line || !line->starts_with("listening ")) {
            throw std::runtime_error("fake Turnstile did not start: " + proc_.stderr_text());
        }
        port_ = line->substr(10);
    }
    std::string siteverify_url() const {
        return "http://127.0.0.1:" + port_ + "/turnstile/v0/siteverify";
    }
    /// Every request so far.
    std::vector<boost::json::object> requests() const { return read_json_lines(record_); }

  private:
    std::filesystem::path record_;
    child_process proc_;
    std::string port_;
};

}  // namespace vrnum::test
