// RFC 5322 composition: addresses, RFC 2047 words, dates, the multipart layout.

#include "mail/mime.hpp"

#include <gtest/gtest.h>

#include "crypto/encoding.hpp"
#include "mail/transport.hpp"

namespace {

using namespace vrnumd::mail;

TEST(mailbox, parses_the_forms_mail_from_takes) {
    auto a = parse_mailbox("VRNUM <no-reply@example.com>");
    ASSERT_TRUE(a);
    EXPECT_EQ(a->name, "VRNUM");
    EXPECT_EQ(a->address, "no-reply@example.com");
    auto b = parse_mailbox("  \"Ünïcode, Inc.\" <a.b+c@mail.example.org> ");
    ASSERT_TRUE(b);
    EXPECT_EQ(b->name, "Ünïcode, Inc.");
    EXPECT_EQ(b->address, "a.b+c@mail.example.org");
    auto c = parse_mailbox("plain@example.com");
    ASSERT_TRUE(c);
    EXPECT_EQ(c->name, "");
}

TEST(mailbox, refuses_what_could_inject_or_is_no_address) {
    for (const char* bad :
         {"", "no-at-sign", "@example.com", "user@", "a@b@c", "user@exa mple.com",
          "user@example.com\r\nBcc: x@y.z", "Name <user@example.com", "Name user@example.com>",
          "\"Na\"me\" <user@example.com>", "us<er@example.com", "user@.example.com",
          "user@example..com", "üser@example.com", "user@example.com\n"}) {
        EXPECT_FALSE(parse_mailbox(bad)) << bad;
    }
    EXPECT_FALSE(valid_address(std::string(250, 'a') + "@ex.com"));
}

TEST(mime, ascii_header_text_stays_as_it_is_and_controls_become_spaces) {
    EXPECT_EQ(encode_header_text("Confirm your email"), "Confirm your email");
    EXPECT_EQ(encode_header_text("a\r\nBcc: evil@example.com"), "a  Bcc: evil@example.com");
}

TEST(mime, ascii_that_looks_encoded_or_overflows_its_line_is_encoded_too) {
    // A subject a customer wrote must not be read back as an encoded word of theirs.
    std::string sneaky = encode_header_text("=?UTF-8?B?QmNjOiBldmls?=", 9);
    EXPECT_TRUE(sneaky.starts_with("=?UTF-8?B?")) << sneaky;
    EXPECT_NE(sneaky.find("PT9VVEYtOD9CP1FtTmpPaUJsZG1scz89"), std::string::npos) << sneaky;
    std::string long_subject(200, 'x');
    std::string folded = encode_header_text(long_subject, 9);
    std::size_t pos = 0, first = 9;
    while (pos < folded.size()) {
        std::size_t end = std::min(folded.find("\r\n", pos), folded.size());
        EXPECT_LE(first + end - pos, 78u);
        first = 0;
        pos = end + 2;
    }
    EXPECT_EQ(encode_header_text(std::string(69, 'x'), 9), std::string(69, 'x'));
}

TEST(mime, text_parts_are_canonical_crlf_before_base64) {
    mime_message m{{"", "a@b.c"}, {"", "d@e.f"}, "s", "one\ntwo\r\nthree\rfour",
                   "<p>x</p>\n",  "<id@b.c>",    0};
    std::string eml = compose(m);
    auto at = eml.find("Content-Transfer-Encoding: base64\r\n\r\n");
    ASSERT_NE(at, std::string::npos);
    at += 37;
    std::string b64 = eml.substr(at, eml.find("\r\n", at) - at);
    auto text = vrnum::detail::decode_base64(b64);
    ASSERT_TRUE(text);
    EXPECT_EQ(*text, "one\r\ntwo\r\nthree\r\nfour");
}

TEST(mime, non_ascii_header_text_becomes_encoded_words_within_75_characters) {
    std::string subject = "Подтвердите адрес электронной почты для ВРНУМ — спасибо! 🎉";
    std::string h = encode_header_text(subject);
    std::string decoded;
    std::size_t pos = 0;
    while (pos < h.size()) {
        std::size_t end = h.find("\r\n ", pos);
        std::string word = h.substr(pos, end == std::string::npos ? end : end - pos);
        EXPECT_LE(word.size(), 75u);
        ASSERT_TRUE(word.starts_with("=?UTF-8?B?") && word.ends_with("?=")) << word;
        auto bytes = vrnum::detail::decode_base64(word.substr(10, word.size() - 12));
        ASSERT_TRUE(bytes);
        decoded += *bytes;
        pos = end == std::string::npos ? h.size() : end + 3;
    }
    EXPECT_EQ(decoded, subject);  // and no word split a character: each decoded on its own
}

TEST(mime, formats_mailboxes_quoted_or_encoded) {
    EXPECT_EQ(format_mailbox({"VRNUM", "a@b.c"}), "\"VRNUM\" <a@b.c>");
    EXPECT_EQ(format_mailbox({"Say \"hi\"", "a@b.c"}), "\"Say \\\"hi\\\"\" <a@b.c>");
    EXPECT_EQ(format_mailbox({"", "a@b.c"}), "a@b.c");
    EXPECT_EQ(format_mailbox({"Ünï", "a@b.c"}), "=?UTF-8?B?w5xuw68=?= <a@b.c>");
}

TEST(mime, dates_are_rfc5322) {
    EXPECT_EQ(rfc5322_date(0), "Thu, 01 Jan 1970 00:00:00 +0000");
    EXPECT_EQ(rfc5322_date(1796670000123), "Mon, 07 Dec 2026 19:00:00 +0000");
}

TEST(mime, composes_multipart_alternative_with_crlf_and_short_lines) {
    mime_message m{{"VRNUM", "no-reply@example.com"},
                   {"", "user@example.com"},
                   "Hello",
                   std::string(500, 'x') + "\nline",
                   "<p>hi</p>",
                   "<abc@example.com>",
                   0};
    std::string eml = compose(m);
    EXPECT_NE(eml.find("Content-Type: multipart/alternative;\r\n boundary="), std::string::npos);
    EXPECT_NE(eml.find("Content-Type: text/plain; charset=UTF-8\r\n"), std::string::npos);
    EXPECT_NE(eml.find("Content-Type: text/html; charset=UTF-8\r\n"), std::string::npos);
    EXPECT_NE(eml.find("Message-ID: <abc@example.com>\r\n"), std::string::npos);
    std::size_t pos = 0;
    while (pos < eml.size()) {
        std::size_t end = eml.find("\r\n", pos);
        ASSERT_NE(end, std::string::npos) << "every line ends with CRLF";
        EXPECT_LE(end - pos, 78u);
        EXPECT_EQ(eml.substr(pos, end - pos).find('\n'), std::string::npos) << "no bare LF";
        pos = end + 2;
    }
}

TEST(mail_privacy, addresses_in_provider_errors_are_redacted) {
    EXPECT_EQ(redact_addresses("identities failed the check in region EU-WEST-1: "
                               "user@example.com, other.one+x@sub.example.org"),
              "identities failed the check in region EU-WEST-1: <address>, <address>");
    EXPECT_EQ(redact_addresses("<user@example.com> rejected"), "<<address>> rejected");
    EXPECT_EQ(redact_addresses("no address here @ all"), "no address here @ all");
    EXPECT_EQ(redact_addresses("for o'brien@example.com."), "for <address>");
    EXPECT_EQ(redact_addresses(""), "");
}

}  // namespace
