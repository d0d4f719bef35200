#pragma once
// The stand-in for Amazon SES (tests/mail/fake_ses.py) as a child process: HTTPS on
// 127.0.0.1 with a test certificate, every signature checked with botocore, each request
// recorded.

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cert.hpp"
#include "support/wait.hpp"

namespace vrnum::test {

inline const std::string access_key = "AKIDEXAMPLE";
inline const std::string secret_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

/// A running stand-in SES answering valid requests with `script`'s statuses in turn (e.g.
/// "503,200"), then 200; stopped (SIGKILL) when destroyed.
class fake_ses {
  public:
    fake_ses(const temp_dir& dir, const cert_files& cert, const std::string& script = "")
        : record_(dir.path() / ("ses-" + std::to_string(++count_) + ".jsonl")),
          proc_({"/usr/bin/python3", source_dir() + "/tests/mail/fake_ses.py", "--cert",
                 cert.cert.string(), "--key", cert.key.string(), "--access-key", access_key,
                 "--secret-key", secret_key, "--region", "eu-west-1", "--script", script,
                 "--record", record_.string()}) {
        auto line = proc_.read_line(std::chrono::seconds(20));
        if (!line || !line->starts_with("listening ")) {
            throw std::runtime_error("fake SES did not start: " + proc_.stderr_text());
        }
        port_ = line->substr(10);
    }
    /// `https://HOST:PORT`.
    std::string endpoint(const std::string& host = "127.0.0.1") const {
        return "https://" + host + ":" + port_;
    }
    /// True once a slow answer (status 1200 in the script) has begun.
    bool in_flight() const { return std::filesystem::exists(record_.string() + ".inflight"); }
    /// Every request so far, one JSON object each.
    std::vector<boost::json::object> requests() const { return read_json_lines(record_); }

  private:
    static inline int count_ = 0;
    std::filesystem::path record_;
    child_process proc_;
    std::string port_;
};

}  // namespace vrnum::test
