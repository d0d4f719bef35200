#pragma once
// The provisioning API of SPEC §9 (tests/numbers/fake_provisioner.py) as a child process:
// HTTPS on 127.0.0.1 with a test certificate, the bearer token checked, every request
// recorded, its behaviour switched by the test (ok, refuse, down, slow).

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cert.hpp"
#include "support/wait.hpp"

namespace vrnum::test {

class fake_provisioner {
  public:
    fake_provisioner(const temp_dir& dir, const cert_files& cert, const std::string& token)
        : record_(dir.path() / "provisioner.jsonl"),
          proc_({"/usr/bin/python3", source_dir() + "/tests/numbers/fake_provisioner.py", "--cert",
                 cert.cert.string(), "--key-file", cert.key.string(), "--token", token, "--record",
                 record_.string()}) {
        auto line = proc_.read_line(std::chrono::seconds(20));
        if (!line || !line->starts_with("listening ")) {
            throw std::runtime_error("fake provisioner did not start: " + proc_.stderr_text());
        }
        auto ports = line->substr(10);
        port_ = ports.substr(0, ports.find(' '));
        control_ = "127.0.0.1:" + ports.substr(ports.find(' ') + 1);
    }
    std::string base_url() const { return "https://127.0.0.1:" + port_; }
    std::vector<boost::json::object> requests() const {
        return std::filesystem::exists(record_) ? read_json_lines(record_)
                                                : std::vector<boost::json::object>{};
    }
    /// "ok", "refuse", "down", or "slow" (answers after `delay_seconds`, the work done at once).
    void mode(const std::string& m, double delay_seconds = 0) const {
        auto r = request(
            control_, "POST", "/control",
            boost::json::serialize(boost::json::object{{"mode", m}, {"delay", delay_seconds}}),
            {{"Content-Type", "application/json"}});
        if (!r || r->status != 200) {
            throw std::runtime_error("fake provisioner control failed");
        }
    }

  private:
    std::filesystem::path record_;
    child_process proc_;
    std::string port_;
    std::string control_;
};

}  // namespace vrnum::test
