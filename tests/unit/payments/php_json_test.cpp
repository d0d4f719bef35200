// The Cryptomus signature's re-encoding against PHP itself: php-cli (installed by
// scripts/setup) runs `json_encode(json_decode($body, true), JSON_UNESCAPED_UNICODE)` without
// `sign` over the same payloads, hand-picked and generated, and the bytes must agree.

#include "payments/php_json.hpp"

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

namespace vrnumd::payments {
namespace {

// PHP's answer for each file in `dir` (named 0000, 0001, ...), in order: the base64 of the
// re-encoding, or "FAIL" when json_decode failed or gave no array.
std::vector<std::string> php_answers(const std::filesystem::path& dir, std::size_t n) {
    const char* code = R"php(
$dir = $argv[1];
for ($i = 0; $i < (int)$argv[2]; $i++) {
    $d = json_decode(file_get_contents(sprintf("%s/%04d", $dir, $i)), true);
    if (!is_array($d)) { echo "FAIL\n"; continue; }
    unset($d["sign"]);
    echo base64_encode(json_encode($d, JSON_UNESCAPED_UNICODE)), "\n";
}
)php";
    auto r = vrnum::test::run({"/usr/bin/php", "-r", code, dir.string(), std::to_string(n)});
    EXPECT_EQ(r.exit_code, 0) << r.err;
    std::vector<std::string> out;
    std::istringstream in(r.out);
    for (std::string line; std::getline(in, line);) {
        out.push_back(line);
    }
    return out;
}

void expect_same_as_php(const std::vector<std::string>& payloads) {
    vrnum::test::temp_dir dir;
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%04zu", i);
        std::ofstream(dir.path() / name, std::ios::binary) << payloads[i];
    }
    auto php = php_answers(dir.path(), payloads.size());
    ASSERT_EQ(php.size(), payloads.size());
    for (std::size_t i = 0; i < payloads.size(); ++i) {
        auto mine = php_reencode(payloads[i], "sign");
        std::string expected =
            php[i] == "FAIL" ? "FAIL" : vrnum::detail::decode_base64(php[i]).value_or("?");
        EXPECT_EQ(mine.value_or("FAIL"), expected) << "payload: " << payloads[i];
    }
}

TEST(php_json, agrees_with_php_on_what_cryptomus_sends_and_its_edge_cases) {
    expect_same_as_php({
        // A real-shaped payment webhook.
        R"({"type":"payment","uuid":"62f88b36-a9d5-4fa6-aa26-e040c3dbf26d","order_id":"97a75bf8eda5cca41ba9d2e104840fcd","amount":"3.00000000","payment_amount":"3.00000000","payment_amount_usd":"0.23","merchant_amount":"2.94000000","commission":"0.06000000","is_final":true,"status":"paid","from":"THgEWubVc8tPKXLJ4VZ5zbiiAK7AgqSeGH","wallet_address_uuid":null,"network":"tron","currency":"TRX","payer_currency":"TRX","additional_data":null,"convert":{"to_currency":"USDT","commission":null,"rate":"0.07700000","amount":"0.22638000"},"txid":"6f0d9c8374db57cac0d806251473de754f361c83a03cd805f74aa9da3193486b","sign":"a76c0d77f3e8e1a419b138af04ab600a"})",
        R"({"url":"https://pay.cryptomus.com/pay/x/y","sign":"x"})",
        R"({"text":"Привет, мир — ✓ 😀 العربية","sign":"x"})",
        R"({"ls":"a\u2028b\u2029c","ctl":"\u0000\u001f\t\n\r\b\f","q":"\"\\","sign":"x"})",
        R"({"empty":{},"list":[],"nested":{"a":{"b":{"c":[{},[],{"d":null}]}}},"sign":"x"})",
        R"({"n":null,"t":true,"f":false,"sign":"x"})",
        R"({"i":0,"neg":-17,"big":9223372036854775807,"over":9223372036854775808,"huge":123456789012345678901234567890,"mz":-0,"sign":"x"})",
        R"({"a":1.5,"b":0.1,"c":10.0,"d":1e25,"e":1e-5,"f":0.0001,"g":-0.0,"h":1.5e300,"i":123456789012345678.0,"j":2.5e-7,"k":100000000000000000000.0,"l":1E2,"sign":"x"})",
        R"({"0":"a","1":"b","sign":"x"})",
        R"({"1":"a","0":"b","sign":"x"})",
        R"({"01":"a","-0":"b","-1":"c","9223372036854775808":"d","sign":"x"})",
        R"({"dup":1,"other":2,"dup":3,"sign":"x"})",
        R"({"sign":"x","0":"only"})",
        R"({"sign":"x"})",
        R"({"":"empty key","a\/b":"escaped slash in key","sign":"x"})",
        R"({"sp" : [ 1 , 2 ] ,  "sign" : "x" } )",
        R"({"nested":{"sign":"kept: only the top level goes"},"sign":"x"})",
        // What PHP refuses: the answer is FAIL.
        R"({"a":1,})",
        R"({"a":01})",
        R"([1,2,3])",
        R"("just a string")",
        "{\"bad\":\"\xff\"}",
        R"({"a":1} x)",
        R"({"x":nulls,"y":1})",
        R"({"x":tru})",
        R"({"x":-})",
        R"({"x":1.})",
        R"({"x":.5})",
    });
}

// Random documents built from the shapes above: nesting, key kinds, numbers, strings.
std::string random_value(std::mt19937& g, int depth);

std::string random_string(std::mt19937& g) {
    static const std::vector<std::string> parts{
        "a",       "Z",   "/",       "\\\\", "\\\"", "\\u00e9", "é",    "日本",         "😀",
        "\\u2028", "\\n", "\\u001b", " ",    "0",    "-",       "sign", "http://x.y/z", "\\/"};
    std::string s = "\"";
    for (int i = std::uniform_int_distribution<int>(0, 5)(g); i > 0; --i) {
        s += parts[g() % parts.size()];
    }
    return s + "\"";
}

std::string random_number(std::mt19937& g) {
    static const std::vector<std::string> nums{"0",
                                               "-0",
                                               "1",
                                               "-1",
                                               "42",
                                               "9007199254740993",
                                               "9223372036854775807",
                                               "9223372036854775808",
                                               "-9223372036854775809",
                                               "0.5",
                                               "1.0",
                                               "10.0",
                                               "3.14159",
                                               "1e3",
                                               "1E-3",
                                               "2.5e+20",
                                               "1e22",
                                               "1e-7",
                                               "123456789.123456789",
                                               "0.30000000000000004",
                                               "5e-324",
                                               "1.7976931348623157e308",
                                               "100000000000000000.0",
                                               "0.001",
                                               "12345678901234567890"};
    return nums[g() % nums.size()];
}

std::string random_key(std::mt19937& g) {
    static const std::vector<std::string> keys{"\"0\"",    "\"1\"",   "\"2\"",  "\"a\"",
                                               "\"b\"",    "\"01\"",  "\"-3\"", "\"\"",
                                               "\"sign\"", "\"k/v\"", "\"é\""};
    return keys[g() % keys.size()];
}

std::string random_value(std::mt19937& g, int depth) {
    int kind = std::uniform_int_distribution<int>(0, depth > 3 ? 4 : 6)(g);
    switch (kind) {
        case 0:
            return "null";
        case 1:
            return g() % 2 ? "true" : "false";
        case 2:
            return random_number(g);
        case 3:
        case 4:
            return random_string(g);
        case 5: {
            std::string s = "[";
            for (int i = std::uniform_int_distribution<int>(0, 3)(g); i > 0; --i) {
                s += random_value(g, depth + 1) + (i > 1 ? "," : "");
            }
            return s + "]";
        }
        default: {
            std::string s = "{";
            for (int i = std::uniform_int_distribution<int>(0, 4)(g); i > 0; --i) {
                s += random_key(g) + ":" + random_value(g, depth + 1) + (i > 1 ? "," : "");
            }
            return s + "}";
        }
    }
}

TEST(php_json, agrees_with_php_on_a_thousand_generated_documents) {
    std::mt19937 g(20261207);
    std::vector<std::string> payloads;
    for (int i = 0; i < 1000; ++i) {
        std::string s = "{";
        for (int k = std::uniform_int_distribution<int>(1, 5)(g); k > 0; --k) {
            s += random_key(g) + ":" + random_value(g, 1) + (k > 1 ? "," : "");
        }
        payloads.push_back(s + "}");
    }
    expect_same_as_php(payloads);
}

TEST(php_json, nesting_past_phps_depth_fails_as_it_does_in_php) {
    std::string deep = "{\"a\":";
    for (int i = 0; i < 600; ++i) {
        deep += "[";
    }
    deep += "1";
    for (int i = 0; i < 600; ++i) {
        deep += "]";
    }
    deep += "}";
    std::string ok = "{\"a\":" + std::string(500, '[') + "1" + std::string(500, ']') + "}";
    expect_same_as_php({deep, ok});
}

}  // namespace
}  // namespace vrnumd::payments
