#include "crypto/encoding.hpp"

#include <openssl/evp.h>

#include "text/ascii.hpp"

namespace vrnum::detail {
namespace {

int hex_value(char c) noexcept {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = ascii_lower(c);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

// Maps base64url to the standard alphabet; 0 for a character of neither.
char base64_standard(char c) noexcept {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
        c == '/') {
        return c;
    }
    return c == '-' ? '+' : c == '_' ? '/' : '\0';
}

}  // namespace

std::optional<std::string> decode_hex(std::string_view text) {
    if (text.size() % 2 != 0) {
        return std::nullopt;
    }
    std::string out(text.size() / 2, '\0');
    for (std::size_t i = 0; i < out.size(); ++i) {
        int hi = hex_value(text[2 * i]);
        int lo = hex_value(text[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            return std::nullopt;
        }
        out[i] = static_cast<char>(hi * 16 + lo);
    }
    return out;
}

std::optional<std::string> decode_base64(std::string_view text) {
    std::size_t pad = 0;
    while (pad < 2 && !text.empty() && text.back() == '=') {
        text.remove_suffix(1);
        ++pad;
    }
    // With padding the total must be whole quads; without, a lone trailing char is impossible.
    if ((pad > 0 && (text.size() + pad) % 4 != 0) || text.size() % 4 == 1) {
        return std::nullopt;
    }
    std::string in;
    in.reserve(text.size() + 3);
    for (char c : text) {
        char s = base64_standard(c);
        if (s == '\0') {
            return std::nullopt;
        }
        in.push_back(s);
    }
    pad = (4 - in.size() % 4) % 4;
    in.append(pad, '=');
    std::string out(in.size() / 4 * 3, '\0');
    int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(in.data()),
                            static_cast<int>(in.size()));
    // EVP_DecodeBlock counts padding as zero bytes.
    if (n < 0 || static_cast<std::size_t>(n) != out.size()) {
        return std::nullopt;
    }
    out.resize(out.size() - pad);
    return out;
}

std::string encode_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(bytes.size() * 2, '\0');
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto b = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = digits[b >> 4];
        out[2 * i + 1] = digits[b & 0x0f];
    }
    return out;
}

std::string encode_base64(std::string_view bytes) {
    std::string out((bytes.size() + 2) / 3 * 4 + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                            reinterpret_cast<const unsigned char*>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

}  // namespace vrnum::detail
