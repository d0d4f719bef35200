// The pooled HMAC key: published vectors, and many threads at once (more than the pool holds)
// each getting what an independent one-shot HMAC computes.

#include "crypto/hmac.hpp"

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "support/signing.hpp"

namespace {

using vrnum::detail::hmac_key;

std::string hex(const std::optional<std::string>& raw) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : raw.value()) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 15]);
    }
    return out;
}

// RFC 4231 test case 2 and RFC 2202 test case 2 ("Jefe").
TEST(hmac_key, matches_the_published_vectors) {
    const hmac_key sha256("SHA256", "Jefe");
    EXPECT_EQ(sha256.size(), 32u);
    EXPECT_EQ(hex(sha256.mac({"what do ya want for nothing?"})),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    const hmac_key sha1("SHA1", "Jefe");
    EXPECT_EQ(sha1.size(), 20u);
    EXPECT_EQ(hex(sha1.mac({"what do ya want for nothing?"})),
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
}

TEST(hmac_key, parts_are_one_message_and_each_use_starts_afresh) {
    const hmac_key key("SHA256", "Jefe");
    const std::string whole = hex(key.mac({"what do ya want for nothing?"}));
    EXPECT_EQ(hex(key.mac({"what do ya ", "want for", "", " nothing?"})), whole);
    EXPECT_NE(hex(key.mac({"what do ya want for nothing!"})), whole);
    EXPECT_EQ(hex(key.mac({"what do ya want for nothing?"})), whole);
}

TEST(hmac_key, an_unknown_digest_is_refused) {
    EXPECT_THROW(hmac_key("NO-SUCH-DIGEST", "k"), std::runtime_error);
}

TEST(hmac_key, many_threads_at_once_each_get_their_own_mac) {
    const std::string secret = "a-webhook-signing-secret";
    const hmac_key key("SHA256", secret);
    constexpr int threads = 12;  // more than the pool's contexts: some calls copy their own
    constexpr int rounds = 400;
    std::atomic<int> wrong{0};
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < rounds; ++i) {
                const std::string body = R"({"id":")" + std::to_string(t) + "-" +
                                         std::to_string(i) + R"(","text":"hello"})";
                if (hex(key.mac({body})) != vrnum::test::hmac_sha256_hex(secret, body)) {
                    ++wrong;
                }
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    EXPECT_EQ(wrong, 0);
}

}  // namespace
