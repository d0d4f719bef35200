#pragma once
// The stand-in for Cryptomus's payment API (tests/payments/fake_cryptomus.py) as a child
// process: HTTPS on 127.0.0.1 with a test certificate, `merchant` and `sign` checked, every
// request recorded.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cert.hpp"
#include "support/wait.hpp"

namespace vrnum::test {

class fake_cryptomus {
  public:
    fake_cryptomus(const temp_dir& dir, const cert_files& cert, const std::string& merchant,
                   const std::string& key, bool down = false)
        : record_(dir.path() / "cryptomus.jsonl"), proc_([&] {
              std::vector<std::string> argv{"/usr/bin/python3",
                                            source_dir() + "/tests/payments/fake_cryptomus.py",
                                            "--cert",
                                            cert.cert.string(),
                                            "--key-file",
                                            cert.key.string(),
                                            "--merchant",
                                            merchant,
                                            "--key",
                                            key,
                                            "--record",
                                            record_.string()};
              if (down) {
                  argv.push_back("--down");
              }
              return argv;
          }()) {
        auto line = proc_.read_line(std::chrono::seconds(20));
        if (!line || !line->starts_with("listening ")) {
            throw std::runtime_error("fake Cryptomus did not start: " + proc_.stderr_text());
        }
        port_ = line->substr(10);
    }
    std::string base_url() const { return "https://127.0.0.1:" + port_; }
    std::vector<boost::json::object> requests() const { return read_json_lines(record_); }

  private:
    std::filesystem::path record_;
    child_process proc_;
    std::string port_;
};

/// The `http_client` and `payments` sections that point vrnumd at `base_url`, trusting `ca`.
inline std::string cryptomus_yaml(const std::string& base_url, const std::filesystem::path& ca,
                                  const std::string& merchant, const std::string& key) {
    return "http_client: { ca_file: \"" + ca.string() +
           "\", timeout_seconds: 3 }\npayments:\n  cryptomus: { merchant_id: \"" + merchant +
           "\", payment_api_key: \"" + key + "\", api_base_url: \"" + base_url + "\" }\n";
}

}  // namespace vrnum::test
