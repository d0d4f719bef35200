// AWS Signature Version 4. The `sigv4_suite` cases are AWS's SigV4 test suite (the
// 2015-08-30 suite that botocore and aws-c-auth carry: each case's .req, .creq, .sts and
// .authz), which botocore reproduces as well. The expected values of the other cases were
// computed with botocore 1.29.27 (`botocore.auth.SigV4Auth`: canonical_request,
// string_to_sign, signature) and pasted here.

#include "net/sigv4.hpp"

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

namespace {

using vrnumd::net::aws_credentials;
using vrnumd::net::http_header;
using vrnumd::net::sigv4_request;
using vrnumd::net::sigv4_result;

constexpr std::string_view suite_date = "20150830T123600Z";
const aws_credentials suite_cred{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
const std::string suite_token =
    "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPf"
    "IeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7W"
    "Z0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm"
    "8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==";
const http_header suite_host{"Host", "example.amazonaws.com"};
const http_header suite_date_header{"X-Amz-Date", std::string(suite_date)};

struct expected {
    std::string_view creq;
    std::string_view sts;
    std::string_view authz;
};

sigv4_result sign(const sigv4_request& req, const aws_credentials& cred = suite_cred,
                  std::string_view date = suite_date) {
    auto r = vrnumd::net::sigv4_sign(req, cred, "us-east-1", "service", date);
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? *r : sigv4_result{};
}

void expect_signed(const sigv4_result& r, const expected& e) {
    EXPECT_EQ(r.canonical_request, e.creq);
    EXPECT_EQ(r.string_to_sign, e.sts);
    EXPECT_EQ(r.authorization, e.authz);
}

// GET / HTTP/1.1, Host, X-Amz-Date (the request line and headers of most suite cases).
sigv4_request suite_request(std::string method, std::string query = "") {
    return {std::move(method), "/", std::move(query), {suite_host, suite_date_header}, ""};
}

const expected get_vanilla{
    "GET\n"
    "/\n"
    "\n"
    "host:example.amazonaws.com\n"
    "x-amz-date:20150830T123600Z\n"
    "\n"
    "host;x-amz-date\n"
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "AWS4-HMAC-SHA256\n"
    "20150830T123600Z\n"
    "20150830/us-east-1/service/aws4_request\n"
    "bb579772317eb040ac9ed261061d46c1f17a8133879d6129b6e1c25292927e63",
    "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
    "SignedHeaders=host;x-amz-date, "
    "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"};

TEST(sigv4_suite, get_vanilla) {
    expect_signed(sign(suite_request("GET")), get_vanilla);
}

TEST(sigv4_suite, post_vanilla) {
    expect_signed(
        sign(suite_request("POST")),
        {"POST\n"
         "/\n"
         "\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "553f88c9e4d10fc9e109e2aeb65f030801b70c2f6468faca261d401ae622fc87",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b"});
}

TEST(sigv4_suite, get_vanilla_query_order_key_case) {
    expect_signed(
        sign(suite_request("GET", "Param2=value2&Param1=value1")),
        {"GET\n"
         "/\n"
         "Param1=value1&Param2=value2\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "816cd5b414d056048ba4f7c5386d6e0533120fb1fcfa93762cf0fc39e2cf19e0",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500"});
}

// Some copies of the suite add `Content-Length:13` to this case's .req and .creq but keep the
// .sts and .authz of the original, which sign only content-type, host and x-amz-date; this is
// the original, whose four files agree.
TEST(sigv4_suite, post_x_www_form_urlencoded) {
    sigv4_request req = suite_request("POST");
    req.headers.insert(req.headers.begin(), {"Content-Type", "application/x-www-form-urlencoded"});
    req.payload = "Param1=value1";
    expect_signed(
        sign(req),
        {"POST\n"
         "/\n"
         "\n"
         "content-type:application/x-www-form-urlencoded\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "content-type;host;x-amz-date\n"
         "9095672bbd1f56dfc5b65f3e153adc8731a4a654192329106275f4c7b24d0b6e",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "42a5e5bb34198acb3e84da4f085bb7927f2bc277ca766e6d19c73c2154021281",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date, "
         "Signature=ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a"});
}

TEST(sigv4_suite, post_sts_header_before) {
    sigv4_request req = suite_request("POST");
    req.headers.emplace_back("X-Amz-Security-Token", suite_token);
    aws_credentials cred = suite_cred;
    cred.session_token = suite_token;
    sigv4_result r = sign(req, cred);
    expect_signed(
        r, {"POST\n"
            "/\n"
            "\n"
            "host:example.amazonaws.com\n"
            "x-amz-date:20150830T123600Z\n"
            "x-amz-security-token:AQoDYXdzEPT//////////"
            "wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8"
            "YUuwthAx7mSEI/qkPpKPi/"
            "kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6f"
            "E8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+"
            "scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==\n"
            "\n"
            "host;x-amz-date;x-amz-security-token\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
            "AWS4-HMAC-SHA256\n"
            "20150830T123600Z\n"
            "20150830/us-east-1/service/aws4_request\n"
            "c237e1b440d4c63c32ca95b5b99481081cb7b13c7e40434868e71567c1a882f6",
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
            "SignedHeaders=host;x-amz-date;x-amz-security-token, "
            "Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead"});
    std::vector<http_header> added{suite_date_header, {"X-Amz-Security-Token", suite_token}};
    EXPECT_EQ(r.added_headers, added);
}

// The canonical URIs of the suite's normalize-path cases.
TEST(sigv4_suite, normalize_path) {
    using vrnumd::net::sigv4_canonical_uri;
    EXPECT_EQ(sigv4_canonical_uri("/example/.."), "/");               // get-relative
    EXPECT_EQ(sigv4_canonical_uri("/example1/example2/../.."), "/");  // get-relative-relative
    EXPECT_EQ(sigv4_canonical_uri("//"), "/");                        // get-slash
    EXPECT_EQ(sigv4_canonical_uri("/./"), "/");                       // get-slash-dot-slash
    EXPECT_EQ(sigv4_canonical_uri("/./example"), "/example");         // get-slash-pointless-dot
    EXPECT_EQ(sigv4_canonical_uri("//example//"), "/example/");       // get-slashes
    EXPECT_EQ(sigv4_canonical_uri("/example space/"), "/example%20space/");  // get-space
    EXPECT_EQ(sigv4_canonical_uri(""), "/");
}

TEST(sigv4, adds_x_amz_date_and_leaves_out_unsigned_headers) {
    sigv4_request req{"GET", "/", "", {suite_host}, ""};
    req.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 an old one");
    req.headers.emplace_back("User-Agent", "vrnumd/1.0");
    req.headers.emplace_back("X-Amz-Date", "20000101T000000Z");
    req.headers.emplace_back("Expect", "100-continue");
    sigv4_result r = sign(req);
    expect_signed(r, get_vanilla);
    EXPECT_EQ(r.added_headers, std::vector<http_header>{suite_date_header});
    EXPECT_EQ(r.signature, "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
}

// A raw path is encoded once; an encoded one again (`%` becomes `%25`), as for every service
// but S3.
TEST(sigv4, encodes_a_raw_path_once_and_an_encoded_path_twice) {
    sigv4_request req = suite_request("GET");
    req.path = "/example space/\xe1\x88\xb4/100%/a+b";
    expect_signed(
        sign(req),
        {"GET\n"
         "/example%20space/%E1%88%B4/100%25/a%2Bb\n"
         "\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "4f858309954aba17cee016676067293b6fe06adab99984cc8b4b726bdece7de0",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=6f705459aa4a0751acaecf459e636eb345e36468847aabd8f6254b7ae7feb03c"});
    req.path = "/example%20space/%E1%88%B4/100%25/a%2Bb";
    expect_signed(
        sign(req),
        {"GET\n"
         "/example%2520space/%25E1%2588%25B4/100%2525/a%252Bb\n"
         "\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "7c990021e7c0879bf234ca5320f49179cb87d46bb4200a56170e57ea82ca1f4a",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=5c72a0ba5a4b2ae615ac5893faa6d5fc8aa898655c814f865945954d44372063"});
}

TEST(sigv4, removes_dot_segments_and_empty_segments) {
    sigv4_request req = suite_request("GET");
    req.path = "/a/./b/../c//d/";
    expect_signed(
        sign(req),
        {"GET\n"
         "/a/c/d/\n"
         "\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "abc63ef1de4540ae41d34381aba59d5be460e9900dd733d43c6da2f28051a2cb",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=07fc47830311f547240f25f97c1565bd7a705059e39e5d0c3e0c5287c2c4bcfc"});
}

// Decoded, encoded again and sorted by name then value: `%20` stays `%20`, `+` is a literal
// plus, `c` without `=` gets an empty value, `=` inside a value is encoded.
TEST(sigv4, encodes_and_sorts_a_query_with_repeated_names) {
    std::string query = "b=2&a=x%20y&a=%E1%88%B4&a=A&c&name=a%2Fb&plus=1+2&eq=a=b&%C3%A9=~";
    expect_signed(
        sign(suite_request("GET", query)),
        {"GET\n"
         "/\n"
         "%C3%A9=~&a=%E1%88%B4&a=A&a=x%20y&b=2&c=&eq=a%3Db&name=a%2Fb&plus=1%2B2\n"
         "host:example.amazonaws.com\n"
         "x-amz-date:20150830T123600Z\n"
         "\n"
         "host;x-amz-date\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "7261a379f9b19b53b5068ab3f46f13c2b7f6a5ac65a8cae8dd1a3f2d6382e148",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;x-amz-date, "
         "Signature=abe469c8817c2e1c5a5bb608072ded545ad8a0e63c1bf0aad94a5aeeebb5aac8"});
    EXPECT_EQ(vrnumd::net::sigv4_canonical_query("a=x y&&a=x%20y&"), "a=x%20y&a=x%20y");
}

TEST(sigv4, trims_values_and_joins_repeated_headers) {
    sigv4_request req = suite_request("GET");
    req.headers = {suite_host,
                   {"My-Header1", "  a   b \t c  "},
                   {"User-Agent", "vrnumd/1.0"},
                   {"my-header1", "second  value"},
                   {"X-Custom", "\"q  r\""}};
    expect_signed(
        sign(req),
        {"GET\n"
         "/\n"
         "\n"
         "host:example.amazonaws.com\n"
         "my-header1:a b c,second value\n"
         "x-amz-date:20150830T123600Z\n"
         "x-custom:\"q r\"\n"
         "\n"
         "host;my-header1;x-amz-date;x-custom\n"
         "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
         "AWS4-HMAC-SHA256\n"
         "20150830T123600Z\n"
         "20150830/us-east-1/service/aws4_request\n"
         "ef980af6fcd56acc85c0f37feeeddb1ebe6b1c21e20867c3c013770490a7ad6e",
         "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
         "SignedHeaders=host;my-header1;x-amz-date;x-custom, "
         "Signature=09e10555ba1d737b4686d4b7fa979ee3749790dd2d331756e3d118c59ce0f983"});
}

sigv4_request ses_request(std::string_view body) {
    return {"POST",
            "/v2/email/outbound-emails",
            "",
            {{"Host", "email.eu-west-1.amazonaws.com"}, {"Content-Type", "application/json"}},
            body};
}

constexpr std::string_view ses_body =
    R"({"FromEmailAddress":"no-reply@example.com","Destination":{"ToAddresses":)"
    R"(["user@example.org"]},"Content":{"Simple":{"Subject":{"Data":"Your code"},)"
    R"("Body":{"Text":{"Data":"Code: 123456"}}}}})";
const aws_credentials ses_cred{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                               ""};

std::string ses_signature(std::string_view body, const aws_credentials& cred,
                          std::string_view date) {
    auto r = vrnumd::net::sigv4_sign(ses_request(body), cred, "eu-west-1", "ses", date);
    EXPECT_TRUE(r.has_value());
    return r.has_value() ? r->signature : std::string();
}

TEST(sigv4, signs_an_ses_send_email_request) {
    auto r = vrnumd::net::sigv4_sign(ses_request(ses_body), ses_cred, "eu-west-1", "ses",
                                     "20260102T030405Z");
    ASSERT_TRUE(r.has_value());
    expect_signed(
        *r,
        {"POST\n"
         "/v2/email/outbound-emails\n"
         "\n"
         "content-type:application/json\n"
         "host:email.eu-west-1.amazonaws.com\n"
         "x-amz-date:20260102T030405Z\n"
         "\n"
         "content-type;host;x-amz-date\n"
         "f5c1ce5e0b8c84c6117fbd2781c647b8b89eba232e3335505ae3d8748e52f670",
         "AWS4-HMAC-SHA256\n"
         "20260102T030405Z\n"
         "20260102/eu-west-1/ses/aws4_request\n"
         "a6b3627279ac60a1cd869ae322486170fa83afc8c4347d83eb923b797a7d5081",
         "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20260102/eu-west-1/ses/aws4_request, "
         "SignedHeaders=content-type;host;x-amz-date, "
         "Signature=41b228a695537f23381ccc87853a40161cd5d9aa8088a3b42b17619104b29d76"});
}

TEST(sigv4, any_changed_byte_changes_the_signature) {
    const std::string base = ses_signature(ses_body, ses_cred, "20260102T030405Z");
    std::string body(ses_body);
    body.back() = ']';
    aws_credentials cred = ses_cred;
    cred.secret_access_key.back() = 'X';
    EXPECT_NE(ses_signature(body, ses_cred, "20260102T030405Z"), base);
    EXPECT_NE(ses_signature(ses_body, cred, "20260102T030405Z"), base);
    EXPECT_NE(ses_signature(ses_body, ses_cred, "20260102T030406Z"), base);
    EXPECT_NE(ses_signature(ses_body, ses_cred, "20260103T030405Z"), base);
    EXPECT_EQ(ses_signature(ses_body, ses_cred, "20260102T030405Z"), base);
}

TEST(sigv4, signs_a_given_content_sha256_instead_of_hashing_the_body) {
    sigv4_request req = suite_request("PUT");
    req.headers.emplace_back("X-Amz-Content-SHA256", "UNSIGNED-PAYLOAD");
    req.payload = "not hashed";
    std::string creq = sign(req).canonical_request;
    EXPECT_NE(creq.find("\nx-amz-content-sha256:UNSIGNED-PAYLOAD\n"), std::string::npos);
    EXPECT_TRUE(creq.ends_with("\nhost;x-amz-content-sha256;x-amz-date\nUNSIGNED-PAYLOAD"));
}

TEST(sigv4, refuses_a_malformed_date) {
    for (std::string_view date :
         {"", "20150830T123600", "20150830 123600Z", "2015-08-30T12:36Z", "20150830T12360aZ"}) {
        auto r =
            vrnumd::net::sigv4_sign(suite_request("GET"), suite_cred, "us-east-1", "service", date);
        ASSERT_FALSE(r.has_value()) << date;
        EXPECT_EQ(r.error(), vrnum::errc::malformed);
    }
}

TEST(amz_date, formats_utc_seconds) {
    EXPECT_EQ(vrnumd::net::amz_date(1440938160000), "20150830T123600Z");
    EXPECT_EQ(vrnumd::net::amz_date(1440938160999), "20150830T123600Z");
    EXPECT_EQ(vrnumd::net::amz_date(0), "19700101T000000Z");
    EXPECT_EQ(vrnumd::net::amz_date(-1), "19691231T235959Z");
    EXPECT_EQ(vrnumd::net::amz_date(1709164800000), "20240229T000000Z");
}

}  // namespace
