// Fuzzes what the mail code reads from outside: addresses (config, sign-up forms), header
// text (templates' values), provider errors (redaction), SES answers from the network, and
// the query and path the SigV4 signer canonicalises. The first byte picks the parser.
// Nothing may crash; addresses survive formatting; header lines stay within 78 characters;
// a redacted text holds no address; a canonical query holds only what RFC 3986 allows.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "mail/mime.hpp"
#include "mail/ses_answer.hpp"
#include "net/sigv4.hpp"

namespace {

using namespace vrnumd::mail;

void check(bool ok) {
    if (!ok) {
        std::abort();
    }
}

bool non_ascii(std::string_view s) {
    for (char c : s) {
        if (static_cast<unsigned char>(c) >= 0x80) {
            return true;
        }
    }
    return false;
}

void lines_within(std::string_view s, std::size_t first, std::size_t limit) {
    std::size_t used = first;
    std::size_t start = 0;
    while (true) {
        std::size_t end = s.find("\r\n", start);
        std::size_t len = (end == std::string_view::npos ? s.size() : end) - start;
        check(used + len <= limit);
        if (end == std::string_view::npos) {
            break;
        }
        check(end + 2 < s.size() && s[end + 2] == ' ');  // folds only
        start = end + 2;
        used = 0;
    }
}

void fuzz_mailbox(std::string_view in) {
    auto m = parse_mailbox(in);
    if (!m) {
        return;
    }
    check(valid_address(m->address));
    std::string formatted = format_mailbox(*m, 6);
    if (m->name.find('\\') == std::string::npos && !non_ascii(m->name)) {
        auto again = parse_mailbox(formatted);
        check(again && again->address == m->address && again->name == m->name);
    }
}

void fuzz_header(std::string_view in) {
    std::string h = encode_header_text(in, 9);
    check(h.find('\n') == std::string::npos || h.find("\r\n ") != std::string::npos);
    lines_within(h, 9, 78);
}

void fuzz_redact(std::string_view in) {
    std::string out = redact_addresses(in);
    std::string again = redact_addresses(out);
    check(again == out);  // nothing address-like is left to redact
}

void fuzz_ses_answer(std::string_view in) {
    if (in.size() < 2) {
        return;
    }
    unsigned status =
        100 + (static_cast<unsigned char>(in[0]) * 256u + static_cast<unsigned char>(in[1])) % 500;
    std::string_view rest = in.substr(2);
    std::size_t split = rest.find('\n');
    std::string_view header = rest.substr(0, split);
    std::string_view body = split == std::string_view::npos ? "" : rest.substr(split + 1);
    send_result r = classify_ses_answer(status, header, body);
    check((r.what == send_result::outcome::sent) == (status >= 200 && status < 300));
    check(status < 500 || r.what == send_result::outcome::retry);  // 5xx always retried
}

void fuzz_sigv4(std::string_view in) {
    std::string q = vrnumd::net::sigv4_canonical_query(in);
    for (char c : q) {
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.' || c == '~' || c == '%' || c == '=' || c == '&';
        check(ok);
    }
    std::string p = vrnumd::net::sigv4_canonical_uri(in);
    check(!in.starts_with('/') || p.starts_with('/'));
    for (char c : p) {
        check(c == '/' || c == '%' || c == '-' || c == '_' || c == '.' || c == '~' ||
              (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) {
        return 0;
    }
    std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    switch (data[0] % 5) {
        case 0:
            fuzz_mailbox(in);
            break;
        case 1:
            fuzz_header(in);
            break;
        case 2:
            fuzz_redact(in);
            break;
        case 3:
            fuzz_ses_answer(in);
            break;
        default:
            fuzz_sigv4(in);
            break;
    }
    return 0;
}
