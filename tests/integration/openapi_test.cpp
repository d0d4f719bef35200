// docs/openapi.yaml and the router list the same paths and methods (SPEC §5): a route added
// without its documentation, or documentation of a route that is gone, fails here.

#include <set>

#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace vrnum::test {
namespace {

TEST(openapi, documents_exactly_the_routes_the_router_serves) {
    temp_dir dir;
    // A source of each webhook shape: vonage's SMS API may also use GET.
    auto cfg = dir.write("vrnum.yaml", R"(server: { listen: "127.0.0.1:0" }
store: { path: "var/vrnum.db" }
log: { dir: "var/log" }
sources:
  - { id: demo, kind: hmac, secret: "s", header: X-Signature }
  - { id: vn, kind: vonage, signature_secret: "s", signature_method: md5hash }
payments:
  cryptomus: { merchant_id: "m", payment_api_key: "k" }
)");
    auto r = run({vrnumd_path(), "routes", "-c", cfg.string()});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    std::set<std::string> served;
    std::istringstream in(r.out);
    for (std::string method, path; in >> method >> path;) {
        // One documented template stands for every configured source.
        if (path.rfind("/webhooks/", 0) == 0 && path != "/webhooks/cryptomus") {
            path = "/webhooks/{source_id}";
        }
        served.insert(method + " " + path);
    }
    ASSERT_GE(served.size(), 10U);

    YAML::Node doc = YAML::LoadFile(source_dir() + "/docs/openapi.yaml");
    std::set<std::string> documented;
    for (const auto& p : doc["paths"]) {
        for (const auto& op : p.second) {
            std::string m = op.first.as<std::string>();
            if (m == "parameters") {
                continue;
            }
            std::transform(m.begin(), m.end(), m.begin(), ::toupper);
            documented.insert(m + " " + p.first.as<std::string>());
        }
    }
    for (const auto& s : served) {
        EXPECT_TRUE(documented.contains(s)) << s << " is served but not in docs/openapi.yaml";
    }
    for (const auto& d : documented) {
        EXPECT_TRUE(served.contains(d)) << d << " is in docs/openapi.yaml but not served";
    }
}

}  // namespace
}  // namespace vrnum::test
