// Passwords: the policy (length, cracklib's dictionary, the owner's address) and argon2id
// hashes at OWASP's parameters.

#include "accounts/password.hpp"

#include <gtest/gtest.h>

namespace {

using namespace vrnumd::accounts;

TEST(password_policy, accepts_a_long_unusual_password) {
    EXPECT_EQ(password_problem("tangerine-Orbit-4417-mellow", "kim@example.com"), std::nullopt);
    EXPECT_EQ(password_problem("Ünïcode-pässwörd-ok-9", "kim@example.com"), std::nullopt);
}

TEST(password_policy, refuses_short_long_common_and_own_address) {
    EXPECT_NE(password_problem("Sh0rt!", "kim@example.com"), std::nullopt);
    EXPECT_NE(password_problem(std::string(max_password_bytes + 1, 'x'), "kim@example.com"),
              std::nullopt);
    for (const char* common :
         {"password123", "qwertyuiop", "1234567890", "abcdefghij", "Password1234"}) {
        auto why = password_problem(common, "kim@example.com");
        ASSERT_TRUE(why) << common;
    }
    EXPECT_EQ(password_problem("password123", "kim@example.com"),
              "is a dictionary word or too common");
    EXPECT_EQ(password_problem("jordan.smith-2026!", "jordan.smith@example.com"),
              "contains your email address");
    EXPECT_NE(password_problem(std::string("abc\0defghijkl", 13), "kim@example.com"), std::nullopt);
}

TEST(password_hash, is_argon2id_at_owasp_parameters_with_a_fresh_salt) {
    std::string a = hash_password("tangerine-Orbit-4417-mellow");
    std::string b = hash_password("tangerine-Orbit-4417-mellow");
    EXPECT_TRUE(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$")) << a;
    EXPECT_NE(a, b) << "each hash has its own salt";
    EXPECT_TRUE(verify_password("tangerine-Orbit-4417-mellow", a));
    EXPECT_TRUE(verify_password("tangerine-Orbit-4417-mellow", b));
    EXPECT_FALSE(verify_password("tangerine-Orbit-4417-mellox", a));
    EXPECT_FALSE(verify_password("", a));
}

TEST(password_hash, anything_but_an_argon2id_string_verifies_nothing) {
    std::string a = hash_password("tangerine-Orbit-4417-mellow");
    std::string tampered = a;
    tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verify_password("tangerine-Orbit-4417-mellow", tampered));
    for (const char* bad : {"", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA", "$argon2id$",
                            "plain", "$argon2id$v=19$m=1,t=1,p=1$$"}) {
        EXPECT_FALSE(verify_password("x", bad)) << bad;
    }
    verify_dummy("tangerine-Orbit-4417-mellow");  // runs, and matches nothing
}

}  // namespace
