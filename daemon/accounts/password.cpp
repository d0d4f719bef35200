#include "accounts/password.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>
#include <mutex>
#include <stdexcept>

#include <argon2.h>
#include <openssl/rand.h>
#include <pwquality.h>

namespace vrnumd::accounts {
namespace {

// OWASP's minimum for argon2id: 19 MiB, two passes, one lane.
constexpr std::uint32_t memory_kib = 19 * 1024;
constexpr std::uint32_t passes = 2;
constexpr std::uint32_t lanes = 1;
constexpr std::size_t salt_bytes = 16;
constexpr std::size_t hash_bytes = 32;

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return out;
}

// cracklib keeps state between calls: one check at a time.
std::mutex& dictionary_mutex() {
    static std::mutex m;
    return m;
}

struct settings_deleter {
    void operator()(pwquality_settings_t* s) const { pwquality_free_settings(s); }
};

// libpwquality's verdict: 0 or an error code (PWQ_ERROR_*).
int pwquality_verdict(const std::string& password, const std::string& user, int min_length) {
    std::lock_guard lock(dictionary_mutex());
    std::unique_ptr<pwquality_settings_t, settings_deleter> s(pwquality_default_settings());
    if (!s) {
        throw std::runtime_error("libpwquality: out of memory");
    }
    pwquality_set_int_value(s.get(), PWQ_SETTING_MIN_LENGTH, min_length);
    pwquality_set_int_value(s.get(), PWQ_SETTING_DICT_CHECK, 1);
    pwquality_set_int_value(s.get(), PWQ_SETTING_USER_CHECK, 1);
    void* aux = nullptr;
    int rc = pwquality_check(s.get(), password.c_str(), nullptr,
                             user.empty() ? nullptr : user.c_str(), &aux);
    std::array<char, PWQ_MAX_ERROR_MESSAGE_LEN> buf{};
    // Also frees `aux`.
    std::string detail = rc < 0 ? pwquality_strerror(buf.data(), buf.size(), rc, aux) : "";
    if (rc == PWQ_ERROR_CRACKLIB_CHECK && detail.find("dictionary") != std::string::npos &&
        detail.find("error loading") != std::string::npos) {
        throw std::runtime_error("libpwquality: " + detail + " (install cracklib-runtime)");
    }
    return rc < 0 ? rc : 0;
}

}  // namespace

std::optional<std::string> password_problem(std::string_view password, std::string_view email) {
    if (password.size() < min_password_bytes) {
        return "is too short: use at least " + std::to_string(min_password_bytes) + " characters";
    }
    if (password.size() > max_password_bytes) {
        return "is too long: use at most " + std::to_string(max_password_bytes) + " bytes";
    }
    if (password.find('\0') != std::string_view::npos) {
        return "contains a NUL character";
    }
    const std::string pw = lower(password);
    const std::string local = lower(email.substr(0, email.find('@')));
    if (!email.empty() && (pw.find(lower(email)) != std::string::npos ||
                           (local.size() >= 4 && pw.find(local) != std::string::npos))) {
        return "contains your email address";
    }
    int rc = pwquality_verdict(std::string(password), local, int{min_password_bytes});
    // A dictionary word with digits or symbols around it ("Password1234!") is as weak.
    std::string_view core = password;
    auto word_char = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) != 0; };
    while (!core.empty() && !word_char(core.back())) {
        core.remove_suffix(1);
    }
    while (!core.empty() && !word_char(core.front())) {
        core.remove_prefix(1);
    }
    if (rc == 0 && core.size() >= 6 && core.size() < password.size()) {
        int core_rc = pwquality_verdict(std::string(core), local, 6);
        rc = core_rc == PWQ_ERROR_CRACKLIB_CHECK ? core_rc : 0;
    }
    switch (rc) {
        case 0:
            return std::nullopt;
        case PWQ_ERROR_CRACKLIB_CHECK:
            return "is a dictionary word or too common";
        case PWQ_ERROR_USER_CHECK:
            return "contains your email address";
        case PWQ_ERROR_PALINDROME:
            return "is a palindrome";
        case PWQ_ERROR_MAX_CONSECUTIVE:
        case PWQ_ERROR_MIN_CLASSES:
            return "is too simple";
        default:
            return std::nullopt;  // rules we do not apply (character classes and the like)
    }
}

std::string hash_password(std::string_view password) {
    std::array<unsigned char, salt_bytes> salt{};
    if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
        throw std::runtime_error("RAND_bytes failed");
    }
    std::size_t len =
        argon2_encodedlen(passes, memory_kib, lanes, salt_bytes, hash_bytes, Argon2_id);
    std::string encoded(len, '\0');
    int rc = argon2id_hash_encoded(passes, memory_kib, lanes, password.data(), password.size(),
                                   salt.data(), salt.size(), hash_bytes, encoded.data(), len);
    if (rc != ARGON2_OK) {
        throw std::runtime_error(std::string("argon2id: ") + argon2_error_message(rc));
    }
    encoded.resize(encoded.find('\0'));
    return encoded;
}

bool verify_password(std::string_view password, std::string_view encoded) {
    if (!encoded.starts_with("$argon2id$")) {
        return false;
    }
    std::string phc(encoded);  // libargon2 wants it NUL-terminated
    return argon2id_verify(phc.c_str(), password.data(), password.size()) == ARGON2_OK;
}

void verify_dummy(std::string_view password) {
    // A hash made once with the same parameters; its password is random and thrown away.
    static const std::string dummy = [] {
        std::array<unsigned char, 32> random{};
        RAND_bytes(random.data(), static_cast<int>(random.size()));
        return hash_password(
            std::string_view(reinterpret_cast<char*>(random.data()), random.size()));
    }();
    (void)verify_password(password, dummy);
}

}  // namespace vrnumd::accounts
