#include "mail/mime.hpp"

#include <algorithm>
#include <array>
#include <ctime>

#include "crypto/encoding.hpp"
#include "text/ascii.hpp"

namespace vrnumd::mail {
namespace {

constexpr std::string_view crlf = "\r\n";
constexpr std::size_t max_address = 254;
// Base64 of 45 bytes is 60 characters: with `=?UTF-8?B?` and `?=` an encoded word stays
// within RFC 2047's 75.
constexpr std::size_t word_bytes = 45;
constexpr std::size_t body_line = 76;
constexpr std::size_t line_limit = 78;  // RFC 5322's SHOULD

bool is_ctl(char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
}

bool printable_ascii(std::string_view s) {
    for (char c : s) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u > 0x7e) {
            return false;
        }
    }
    return true;
}

// A character of an address other than its '@': printable ASCII but for the delimiters.
bool address_char(char c) {
    auto u = static_cast<unsigned char>(c);
    return u > 0x20 && u < 0x7f && c != '@' && c != '<' && c != '>' && c != '(' && c != ')' &&
           c != ',' && c != ';' && c != ':' && c != '\\' && c != '"' && c != '[' && c != ']';
}

// Where a UTF-8 string may be cut at or before `at` without splitting a character.
std::size_t utf8_cut(std::string_view s, std::size_t at) {
    if (at >= s.size()) {
        return s.size();
    }
    while (at > 0 && (static_cast<unsigned char>(s[at]) & 0xC0) == 0x80) {
        --at;
    }
    return at;
}

// Text in its canonical form (RFC 2045 §6.8): every line break CRLF, then base64.
void append_base64_lines(std::string& out, std::string_view text) {
    std::string canonical;
    canonical.reserve(text.size() + text.size() / 32);
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '\r' || text[i] == '\n') {
            canonical.append("\r\n");
            i += text[i] == '\r' && i + 1 < text.size() && text[i + 1] == '\n' ? 1 : 0;
        } else {
            canonical.push_back(text[i]);
        }
    }
    std::string b64 = vrnum::detail::encode_base64(canonical);
    for (std::size_t i = 0; i < b64.size(); i += body_line) {
        out.append(b64, i, body_line).append(crlf);
    }
}

void append_part(std::string& out, std::string_view boundary, std::string_view type,
                 std::string_view body) {
    out.append("--").append(boundary).append(crlf);
    out.append("Content-Type: ").append(type).append("; charset=UTF-8").append(crlf);
    out.append("Content-Transfer-Encoding: base64").append(crlf).append(crlf);
    append_base64_lines(out, body);
}

void header(std::string& out, std::string_view name, std::string_view value) {
    out.append(name).append(": ").append(value).append(crlf);
}

}  // namespace

std::string normalise_address(std::string_view address) {
    std::string s(vrnum::detail::trim_ows(address));
    for (char& c : s) {
        c = vrnum::detail::ascii_lower(c);
    }
    return s;
}

bool valid_address(std::string_view a) {
    if (a.empty() || a.size() > max_address) {
        return false;
    }
    std::size_t at = a.rfind('@');
    if (at == std::string_view::npos || at == 0 || at + 1 == a.size() || a.find('@') != at) {
        return false;
    }
    for (char c : a) {
        if (c != '@' && !address_char(c)) {
            return false;
        }
    }
    std::string_view domain = a.substr(at + 1);
    return domain.front() != '.' && domain.back() != '.' &&
           domain.find("..") == std::string_view::npos;
}

std::optional<mailbox> parse_mailbox(std::string_view text) {
    text = vrnum::detail::trim_ows(text);
    for (char c : text) {
        if (is_ctl(c)) {
            return std::nullopt;
        }
    }
    mailbox m;
    if (!text.empty() && text.back() == '>') {
        std::size_t open = text.rfind('<');
        if (open == std::string_view::npos) {
            return std::nullopt;
        }
        m.address = std::string(text.substr(open + 1, text.size() - open - 2));
        std::string_view name = vrnum::detail::trim_ows(text.substr(0, open));
        if (name.size() >= 2 && name.front() == '"' && name.back() == '"') {
            name = name.substr(1, name.size() - 2);
        }
        if (name.find('"') != std::string_view::npos || name.find('<') != std::string_view::npos) {
            return std::nullopt;
        }
        m.name = std::string(name);
    } else {
        m.address = std::string(text);
    }
    if (!valid_address(m.address)) {
        return std::nullopt;
    }
    return m;
}

std::string encode_header_text(std::string_view text, std::size_t used) {
    std::string clean(text);
    for (char& c : clean) {
        if (is_ctl(c)) {
            c = ' ';
        }
    }
    // Plain when it is printable ASCII that fits its line and holds nothing a reader would
    // decode as an encoded word; else encoded words, which fold safely.
    if (printable_ascii(clean) && clean.find("=?") == std::string::npos &&
        used + clean.size() <= line_limit) {
        return clean;
    }
    std::string out;
    std::string_view rest = clean;
    // The first word shares its line with the header's name.
    std::size_t budget = used + 20 < line_limit ? line_limit - used : 20;  // fits a character
    while (!rest.empty()) {
        std::size_t n = utf8_cut(rest, std::min(word_bytes, (budget - 12) / 4 * 3));
        budget = line_limit - 1;  // later lines start with a space
        if (n == 0) {             // a stray continuation byte: take it alone rather than loop
            n = 1;
        }
        if (!out.empty()) {
            out.append("\r\n ");
        }
        out.append("=?UTF-8?B?")
            .append(vrnum::detail::encode_base64(rest.substr(0, n)))
            .append("?=");
        rest.remove_prefix(n);
    }
    return out;
}

std::string format_mailbox(const mailbox& m, std::size_t used) {
    if (m.name.empty()) {
        return m.address;
    }
    std::string name;
    if (printable_ascii(m.name)) {
        name.push_back('"');
        for (char c : m.name) {
            if (c == '"' || c == '\\') {
                name.push_back('\\');
            }
            name.push_back(c);
        }
        name.push_back('"');
    } else {
        name = encode_header_text(m.name, used);
    }
    return name + " <" + m.address + ">";
}

std::string rfc5322_date(vrnum::unix_ms t) {
    std::time_t secs = static_cast<std::time_t>(t / 1000);
    std::tm tm{};
    gmtime_r(&secs, &tm);
    static constexpr std::array<const char*, 7> days{"Sun", "Mon", "Tue", "Wed",
                                                     "Thu", "Fri", "Sat"};
    static constexpr std::array<const char*, 12> months{"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::array<char, 40> buf{};
    std::snprintf(buf.data(), buf.size(), "%s, %02d %s %04d %02d:%02d:%02d +0000",
                  days[static_cast<std::size_t>(tm.tm_wday)], tm.tm_mday,
                  months[static_cast<std::size_t>(tm.tm_mon)], tm.tm_year + 1900, tm.tm_hour,
                  tm.tm_min, tm.tm_sec);
    return buf.data();
}

std::string compose(const mime_message& m) {
    // Base64 never holds "=_", so no body line can look like the boundary.
    std::string boundary = "=_vrnum_" + vrnum::detail::encode_hex(m.message_id).substr(0, 32);
    std::string out;
    out.reserve(512 + (m.text.size() + m.html.size()) * 4 / 3);
    header(out, "From", format_mailbox(m.from, 6));
    header(out, "To", format_mailbox(m.to, 4));
    header(out, "Subject", encode_header_text(m.subject, 9));
    header(out, "Date", rfc5322_date(m.date));
    header(out, "Message-ID", m.message_id);
    header(out, "MIME-Version", "1.0");
    header(out, "Content-Type", "multipart/alternative;\r\n boundary=\"" + boundary + "\"");
    out.append(crlf);
    append_part(out, boundary, "text/plain", m.text);
    append_part(out, boundary, "text/html", m.html);
    out.append("--").append(boundary).append("--").append(crlf);
    return out;
}

std::string redact_addresses(std::string_view text) {
    // An address is a run of non-space, non-delimiter characters around an '@'.
    // The characters valid_address takes, and '@'.
    auto part_of = [](char c) { return address_char(c) || c == '@'; };
    std::string out;
    std::size_t i = 0;
    while (i < text.size()) {
        std::size_t at = text.find('@', i);
        if (at == std::string_view::npos) {
            out.append(text.substr(i));
            break;
        }
        std::size_t start = at;
        while (start > i && part_of(text[start - 1])) {
            --start;
        }
        std::size_t end = at + 1;
        while (end < text.size() && part_of(text[end])) {
            ++end;
        }
        out.append(text.substr(i, start - i));
        out.append(start < at && end > at + 1 ? "<address>" : text.substr(start, end - start));
        i = end;
    }
    return out;
}

}  // namespace vrnumd::mail
