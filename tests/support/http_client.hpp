#pragma once
// A blocking loopback HTTP/1.1 client for tests: sends exact bytes (malformed ones included)
// and parses answers with Beast's response parser.

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vrnum::test {

struct http_answer {
    unsigned status = 0;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    bool keep_alive = true;
    /// The first header of that name (case-insensitive), or "".
    std::string header(const std::string& name) const;
};

/// One connection. Every read waits at most `timeout`.
class http_connection {
  public:
    /// Connects to HOST:PORT; with `tls`, performs a TLS handshake trusting `ca_file`.
    explicit http_connection(const std::string& address, bool tls = false,
                             const std::string& ca_file = {});
    ~http_connection();
    http_connection(http_connection&&) noexcept;

    void set_timeout(std::chrono::milliseconds t);
    /// Sends raw bytes; false when the peer has closed.
    bool send(const std::string& bytes);
    /// Reads one response; nullopt on timeout or close before a whole response.
    std::optional<http_answer> read(bool head_request = false);
    /// True when the peer closes the connection (reads EOF or reset) within the timeout,
    /// discarding any bytes before it.
    bool closed_by_peer();
    /// Reads raw bytes until `n` are in or the timeout passes.
    std::string read_raw(std::size_t n);
    /// What arrives within `wait` (one read once bytes are there; "" when none came): for
    /// streams that stay open.
    std::string read_within(std::chrono::milliseconds wait);
    /// True once a read found the connection closed by the peer.
    bool eof() const;

  private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

/// One request on a new connection: `method target` with optional body and headers.
std::optional<http_answer> request(
    const std::string& address, const std::string& method, const std::string& target,
    const std::string& body = {},
    const std::vector<std::pair<std::string, std::string>>& headers = {});

}  // namespace vrnum::test
