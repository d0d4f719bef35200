// The one-time code the inbox shows: the first standalone 4-8 digit run, or 3+3 digits joined
// by a space or a dash; never a piece of a longer number or of a word.

#include "numbers/one_time_code.hpp"

#include <gtest/gtest.h>

namespace vrnumd::numbers {
namespace {

TEST(one_time_code, finds_the_usual_shapes) {
    EXPECT_EQ(one_time_code("Your code is 4821"), "4821");
    EXPECT_EQ(one_time_code("G-482913 is your Google verification code."), "482913");
    EXPECT_EQ(one_time_code("Code: 12345678."), "12345678");
    EXPECT_EQ(one_time_code("Your WhatsApp code: 123-456"), "123456");
    EXPECT_EQ(one_time_code("Telegram code 123 456, do not give it"), "123456");
    EXPECT_EQ(one_time_code("(9876)"), "9876");
    EXPECT_EQ(one_time_code("first 1111 then 2222"), "1111");
}

TEST(one_time_code, ignores_what_is_not_a_code) {
    EXPECT_EQ(one_time_code(""), std::nullopt);
    EXPECT_EQ(one_time_code("no digits here"), std::nullopt);
    EXPECT_EQ(one_time_code("call +37255500001"), std::nullopt);  // 11 digits
    EXPECT_EQ(one_time_code("123"), std::nullopt);
    EXPECT_EQ(one_time_code("abc12345"), std::nullopt);  // glued to a word
    EXPECT_EQ(one_time_code("12345abc"), std::nullopt);
    EXPECT_EQ(one_time_code("123 4567"), "4567");  // not 3+3, but 4567 stands alone
    EXPECT_EQ(one_time_code("123-4567"), "4567");
    EXPECT_EQ(one_time_code("1234567890123"), std::nullopt);
    EXPECT_EQ(one_time_code("123 45"), std::nullopt);
    EXPECT_EQ(one_time_code("ab123 456"), std::nullopt);
    EXPECT_EQ(one_time_code("123 456x"), std::nullopt);
}

TEST(one_time_code, survives_hostile_text) {
    std::string many(100000, '9');
    EXPECT_EQ(one_time_code(many), std::nullopt);
    std::string mixed;
    for (int i = 0; i < 10000; ++i) {
        mixed += "12 3-";
    }
    EXPECT_EQ(one_time_code(mixed), std::nullopt);
    EXPECT_EQ(one_time_code(std::string("\0\xff\xfe 5555", 8)), "5555");
    EXPECT_EQ(one_time_code("код 7777 ✓"), "7777");
}

}  // namespace
}  // namespace vrnumd::numbers
