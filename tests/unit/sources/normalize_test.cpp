#include "normalize/normalize.hpp"

#include <cmath>
#include <limits>
#include <string>

#include <gtest/gtest.h>

namespace {

using vrnum::detail::epoch_to_unix_ms;
using vrnum::detail::normalize_number;
using vrnum::detail::trim_ascii;
using vrnum::detail::valid_utf8;

TEST(valid_utf8, accepts_well_formed_text) {
    EXPECT_TRUE(valid_utf8(""));
    EXPECT_TRUE(valid_utf8("plain ascii\n"));
    EXPECT_TRUE(valid_utf8(std::string("nul\0inside", 10)));
    EXPECT_TRUE(valid_utf8("Код подтверждения"));
    EXPECT_TRUE(valid_utf8("رمز التحقق"));
    EXPECT_TRUE(valid_utf8("👋🏽 emoji"));
    EXPECT_TRUE(valid_utf8("\xf4\x8f\xbf\xbf"));  // U+10FFFF
    EXPECT_TRUE(valid_utf8("\xef\xbf\xbf"));      // U+FFFF
}

TEST(valid_utf8, rejects_malformed_text) {
    for (std::string bad : {
             "\xc0\x80",          // overlong NUL
             "\xc1\xbf",          // overlong
             "\xe0\x80\xaf",      // overlong '/'
             "\xf0\x80\x80\xaf",  // overlong '/'
             "\xed\xa0\x80",      // U+D800, a surrogate
             "\xed\xbf\xbf",      // U+DFFF
             "\xf4\x90\x80\x80",  // U+110000
             "\xf5\x80\x80\x80",  // past any plane
             "\xff",              // never valid
             "\x80",              // lone continuation
             "abc\xe2\x82",       // truncated at the end
             "\xe2\x28\xa1",      // bad continuation
         }) {
        EXPECT_FALSE(valid_utf8(bad)) << testing::PrintToString(bad);
    }
}

TEST(trim_ascii, trims_ascii_whitespace_only) {
    EXPECT_EQ(trim_ascii(" \t\r\n\v\fx y\t "), "x y");
    EXPECT_EQ(trim_ascii("   "), "");
    EXPECT_EQ(trim_ascii(""), "");
    EXPECT_EQ(trim_ascii("\xc2\xa0x"), "\xc2\xa0x");  // NBSP is not ASCII whitespace
}

TEST(normalize_number, makes_e164_from_numbers) {
    EXPECT_EQ(normalize_number("447700900001"), "+447700900001");
    EXPECT_EQ(normalize_number("+447700900001"), "+447700900001");
    EXPECT_EQ(normalize_number("+44 7700 900001"), "+447700900001");
    EXPECT_EQ(normalize_number("+44 (7700) 900-001"), "+447700900001");
    EXPECT_EQ(normalize_number("0044 7700 900001"), "+447700900001");
    EXPECT_EQ(normalize_number("+1.555.010.0000"), "+15550100000");
    EXPECT_EQ(normalize_number("(+1) 555-010-0000"), "+15550100000");
    EXPECT_EQ(normalize_number("  37255500001\n"), "+37255500001");
    EXPECT_EQ(normalize_number("12345678"), "+12345678");                // 8 digits
    EXPECT_EQ(normalize_number("123456789012345"), "+123456789012345");  // 15 digits
}

TEST(normalize_number, keeps_everything_else_as_received) {
    EXPECT_EQ(normalize_number("Google"), "Google");
    EXPECT_EQ(normalize_number("  Google "), "Google");
    EXPECT_EQ(normalize_number("12345"), "12345");
    EXPECT_EQ(normalize_number("1234567"), "1234567");
    EXPECT_EQ(normalize_number("+1234567"), "+1234567");
    EXPECT_EQ(normalize_number("1234567890123456"), "1234567890123456");  // 16 digits
    EXPECT_EQ(normalize_number("07700 900001"), "07700 900001");  // trunk 0: country unknown
    EXPECT_EQ(normalize_number("+0447700900001"), "+0447700900001");
    EXPECT_EQ(normalize_number("000447700900001"), "000447700900001");
    EXPECT_EQ(normalize_number("1-800-FLOWERS"), "1-800-FLOWERS");
    EXPECT_EQ(normalize_number("MyBank 24"), "MyBank 24");
    EXPECT_EQ(normalize_number("Код"), "Код");
}

TEST(normalize_number, survives_hostile_input) {
    EXPECT_EQ(normalize_number(""), "");
    EXPECT_EQ(normalize_number(" \t "), "");
    EXPECT_EQ(normalize_number("+"), "+");
    EXPECT_EQ(normalize_number("00"), "00");
    EXPECT_EQ(normalize_number("---...()"), "---...()");
    EXPECT_EQ(normalize_number("++447700900001"), "++447700900001");
    EXPECT_EQ(normalize_number("44+7700900001"), "44+7700900001");
    EXPECT_EQ(normalize_number("4477009000\x01"
                               "01"),
              "4477009000\x01"
              "01");
    EXPECT_EQ(normalize_number(std::string("44770\0900001", 12)), std::string("44770\0900001", 12));
    EXPECT_EQ(normalize_number("\xef\xbc\x94\xef\xbc\x94"),
              "\xef\xbc\x94\xef\xbc\x94");  // fullwidth
    std::string digits(100000, '1');
    EXPECT_EQ(normalize_number(digits), digits);
    std::string spaced = "+44" + std::string(100, ' ') + "7700900001";
    EXPECT_EQ(normalize_number(spaced), spaced);  // too long to be a written number
}

TEST(epoch_to_unix_ms, seconds_and_milliseconds) {
    EXPECT_EQ(epoch_to_unix_ms(1700000000), 1700000000000);
    EXPECT_EQ(epoch_to_unix_ms(1700000000123), 1700000000123);
    EXPECT_EQ(epoch_to_unix_ms(1700000000.5), 1700000000500);
    EXPECT_EQ(epoch_to_unix_ms(0), 0);
    EXPECT_EQ(epoch_to_unix_ms(1e11), 100000000000000);  // the boundary is still seconds
    EXPECT_EQ(epoch_to_unix_ms(1e11 + 1), 100000000001);
    EXPECT_EQ(epoch_to_unix_ms(253402300799999.0), 253402300799999);
    EXPECT_FALSE(epoch_to_unix_ms(253402300800000.0));
    EXPECT_FALSE(epoch_to_unix_ms(-1));
    EXPECT_FALSE(epoch_to_unix_ms(std::nan("")));
    EXPECT_FALSE(epoch_to_unix_ms(std::numeric_limits<double>::infinity()));
    EXPECT_FALSE(epoch_to_unix_ms(1e300));
}

}  // namespace
