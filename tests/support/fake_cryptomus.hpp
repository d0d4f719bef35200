#pragma once
// The stand-in for Cryptomus's payment API (tests/payments/fake_cryptomus.py) as a child
// process: HTTPS on 127.0.0.1 with a test certificate, `merchant` and `sign` checked, every
// request recorded; it posts Cryptomus's signed payment webhooks back when told to.

#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "support/http_client.hpp"
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
        auto ports = line->substr(10);
        port_ = ports.substr(0, ports.find(' '));
        control_ = "127.0.0.1:" + ports.substr(ports.find(' ') + 1);
    }
    std::string base_url() const { return "https://127.0.0.1:" + port_; }
    std::vector<boost::json::object> requests() const { return read_json_lines(record_); }

    /// Sets invoice `uuid` to `status` and posts Cryptomus's signed webhook for it `times`
    /// times at once; vrnumd's answers. `fields` adds to the control request
    /// (`payment_amount_usd`, `is_final`, `tamper`).
    std::vector<int> notify(const std::string& uuid, const std::string& status, int times = 1,
                            boost::json::object fields = {}) const {
        fields["uuid"] = uuid;
        fields["status"] = status;
        fields["times"] = times;
        return statuses(control("/control/notify", fields));
    }
    /// As `notify`, for an invoice Cryptomus made with `order_id` that vrnumd never recorded.
    std::vector<int> notify_order(const std::string& order_id, const std::string& callback,
                                  const std::string& status) const {
        return statuses(
            control("/control/notify_order",
                    {{"order_id", order_id}, {"url_callback", callback}, {"status", status}}));
    }
    /// Makes the payment-info call fail with 503 (or work again).
    void info_down(bool down) const { control("/control/info", {{"down", down}}); }

  private:
    boost::json::object control(const std::string& path, const boost::json::object& body) const {
        auto r = request(control_, "POST", path, boost::json::serialize(body),
                         {{"Content-Type", "application/json"}});
        if (!r || r->status != 200) {
            throw std::runtime_error("fake Cryptomus control " + path + " failed");
        }
        return boost::json::parse(r->body).as_object();
    }
    static std::vector<int> statuses(const boost::json::object& o) {
        std::vector<int> out;
        for (const auto& s : o.at("statuses").as_array()) {
            out.push_back(static_cast<int>(s.as_int64()));
        }
        return out;
    }

    std::string control_;
    std::filesystem::path record_;
    child_process proc_;
    std::string port_;
};

/// The `http_client` and `payments` sections that point vrnumd at `base_url`, trusting `ca`;
/// `more` adds keys to `payments.cryptomus` (", allowed_ips: [...]").
inline std::string cryptomus_yaml(const std::string& base_url, const std::filesystem::path& ca,
                                  const std::string& merchant, const std::string& key,
                                  const std::string& more = "") {
    return "http_client: { ca_file: \"" + ca.string() +
           "\", timeout_seconds: 3 }\npayments:\n  cryptomus: { merchant_id: \"" + merchant +
           "\", payment_api_key: \"" + key + "\", api_base_url: \"" + base_url + "\"" + more +
           " }\n";
}

}  // namespace vrnum::test
