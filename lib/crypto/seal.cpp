#include "crypto/seal.hpp"

#include <atomic>
#include <climits>
#include <mutex>
#include <stdexcept>
#include <unordered_set>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>

namespace vrnum::detail {
namespace {

constexpr unsigned char envelope_version = 1;
constexpr std::size_t header_size = 1 + 4;
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::size_t body_offset = header_size + nonce_size;
static_assert(keyring::overhead == body_offset + tag_size);

struct cipher_ctx_free {
    void operator()(EVP_CIPHER_CTX* c) const noexcept { EVP_CIPHER_CTX_free(c); }
};
using cipher_ctx_ptr = std::unique_ptr<EVP_CIPHER_CTX, cipher_ctx_free>;

[[noreturn]] void throw_openssl(const char* what) {
    char reason[256] = "unknown error";
    if (unsigned long e = ERR_get_error(); e != 0) {
        ERR_error_string_n(e, reason, sizeof reason);
    }
    ERR_clear_error();
    throw std::runtime_error(std::string("vrnum sealing: ") + what + ": " + reason);
}

void put_be32(unsigned char* p, std::uint32_t v) noexcept {
    for (int i = 3; i >= 0; --i, v >>= 8) {
        p[i] = static_cast<unsigned char>(v);
    }
}

void put_be64(unsigned char* p, std::uint64_t v) noexcept {
    for (int i = 7; i >= 0; --i, v >>= 8) {
        p[i] = static_cast<unsigned char>(v);
    }
}

std::uint32_t get_be32(const unsigned char* p) noexcept {
    return std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 | std::uint32_t{p[2]} << 8 |
           std::uint32_t{p[3]};
}

const unsigned char* bytes(std::string_view s) noexcept {
    return reinterpret_cast<const unsigned char*>(s.data());
}

// HMAC-SHA256 of `data` under `key`; false only when OpenSSL fails.
bool hmac_sha256(EVP_MAC* mac, const unsigned char* key, std::size_t key_len, std::string_view data,
                 unsigned char (&out)[32]) {
    std::unique_ptr<EVP_MAC_CTX, decltype(&EVP_MAC_CTX_free)> ctx(EVP_MAC_CTX_new(mac),
                                                                  &EVP_MAC_CTX_free);
    char digest[] = "SHA256";
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    std::size_t len = 0;
    return ctx && EVP_MAC_init(ctx.get(), key, key_len, params) == 1 &&
           EVP_MAC_update(ctx.get(), bytes(data), data.size()) == 1 &&
           EVP_MAC_final(ctx.get(), out, &len, sizeof out) == 1 && len == sizeof out;
}

// HKDF-SHA256 (extract and expand, empty salt) of `master` with the label `info`.
keyring::key hkdf_sha256(EVP_KDF* kdf, const keyring::key& master, std::string_view info) {
    std::unique_ptr<EVP_KDF_CTX, decltype(&EVP_KDF_CTX_free)> ctx(EVP_KDF_CTX_new(kdf),
                                                                  &EVP_KDF_CTX_free);
    char digest[] = "SHA256";
    // OSSL_PARAM wants non-const pointers; HKDF only reads these buffers.
    const OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY,
                                          const_cast<std::uint8_t*>(master.data()), master.size()),
        OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                          info.size()),
        OSSL_PARAM_construct_end()};
    keyring::key out{};
    if (!ctx || EVP_KDF_derive(ctx.get(), out.data(), out.size(), params) != 1) {
        throw_openssl("HKDF-SHA256 failed");
    }
    return out;
}

// A nonce prefix never handed out before in this process (whatever the keyring), so that
// within a process uniqueness does not rest on chance.
std::uint64_t draw_unique_prefix() {
    static std::mutex mutex;
    static std::unordered_set<std::uint64_t> used;
    std::lock_guard lock(mutex);
    for (;;) {
        unsigned char raw[8];
        if (RAND_bytes(raw, sizeof raw) != 1) {
            throw_openssl("RAND_bytes failed");
        }
        std::uint64_t prefix = 0;
        for (unsigned char b : raw) {
            prefix = prefix << 8 | b;
        }
        if (used.insert(prefix).second) {
            return prefix;
        }
    }
}

// Feeds the associated data `version | key_id | row_id | column`; `header` holds the first two.
bool add_aad(EVP_CIPHER_CTX* ctx, const unsigned char* header, std::int64_t row_id,
             std::string_view column) {
    unsigned char row[8];
    put_be64(row, static_cast<std::uint64_t>(row_id));
    int len = 0;
    return column.size() <= INT_MAX && EVP_CipherUpdate(ctx, nullptr, &len, header, header_size) &&
           EVP_CipherUpdate(ctx, nullptr, &len, row, sizeof row) &&
           EVP_CipherUpdate(ctx, nullptr, &len, bytes(column), static_cast<int>(column.size()));
}

// A cipher context kept by a thread between calls (one per direction), so that a seal costs
// no allocation and, while the key stays the same, no key schedule. The key it holds is named
// by a keyring serial that is never reused in the process, so a keyring made at the address
// of a destroyed one can never be mistaken for it.
struct thread_cipher {
    cipher_ctx_ptr ctx{EVP_CIPHER_CTX_new()};
    std::uint64_t serial = 0;  // 0: no key loaded
    std::uint32_t key_id = 0;
};

thread_cipher& thread_cipher_for(int enc) {
    thread_local thread_cipher encrypt;
    thread_local thread_cipher decrypt;
    return enc != 0 ? encrypt : decrypt;
}

std::atomic<std::uint64_t> next_serial{1};

}  // namespace

struct keyring::impl {
    struct entry {
        std::uint32_t id;
        key seal_key;
        key index_key;
    };
    // One run of the counter under one prefix. Exhausted runs stay alive until the keyring
    // goes, because a thread may still be reading one it loaded before the re-draw.
    struct nonce_run {
        nonce_run(std::uint64_t p, std::uint64_t first) : prefix(p), counter(first) {}
        const std::uint64_t prefix;
        std::atomic<std::uint64_t> counter;
    };

    std::vector<entry> keys;
    EVP_CIPHER* cipher = nullptr;
    EVP_MAC* mac = nullptr;
    std::uint64_t counter_limit = 0;
    std::atomic<nonce_run*> run{nullptr};
    std::mutex redraw_mutex;
    std::vector<std::unique_ptr<nonce_run>> runs;  // guarded by redraw_mutex
    const std::uint64_t serial = next_serial.fetch_add(1, std::memory_order_relaxed);

    ~impl() {
        for (entry& e : keys) {
            OPENSSL_cleanse(e.seal_key.data(), e.seal_key.size());
            OPENSSL_cleanse(e.index_key.data(), e.index_key.size());
        }
        EVP_CIPHER_free(cipher);
        EVP_MAC_free(mac);
    }

    const entry* find(std::uint32_t id) const noexcept {
        for (const entry& e : keys) {
            if (e.id == id) {
                return &e;
            }
        }
        return nullptr;
    }

    // This thread's context for direction `enc`, set up for key `k` and nonce `iv`; the key
    // is loaded only when the context last held another one.
    EVP_CIPHER_CTX* cipher_ctx(int enc, const entry& k, const unsigned char* iv) const {
        thread_cipher& t = thread_cipher_for(enc);
        if (!t.ctx) {
            return nullptr;
        }
        const bool loaded = t.serial == serial && t.key_id == k.id;
        const EVP_CIPHER* c = EVP_CIPHER_CTX_get0_cipher(t.ctx.get()) ? nullptr : cipher;
        t.serial = 0;
        if (EVP_CipherInit_ex2(t.ctx.get(), c, loaded ? nullptr : k.seal_key.data(), iv, enc,
                               nullptr) != 1) {
            return nullptr;
        }
        t.serial = serial;
        t.key_id = k.id;
        return t.ctx.get();
    }

    void start_run(std::uint64_t first_counter) {
        runs.push_back(std::make_unique<nonce_run>(draw_unique_prefix(), first_counter));
        run.store(runs.back().get(), std::memory_order_release);
    }

    // Writes `prefix | counter` to `out`; each (run, counter) pair is handed out once.
    void next_nonce(unsigned char* out) {
        for (;;) {
            nonce_run* r = run.load(std::memory_order_acquire);
            std::uint64_t c = r->counter.fetch_add(1, std::memory_order_relaxed);
            if (c < counter_limit) {
                put_be64(out, r->prefix);
                put_be32(out + 8, static_cast<std::uint32_t>(c));
                return;
            }
            std::lock_guard lock(redraw_mutex);
            // Only the first thread to see this run exhausted draws the next one.
            if (run.load(std::memory_order_relaxed) == r) {
                start_run(0);
            }
        }
    }
};

keyring::keyring(std::vector<key> masters) : keyring(std::move(masters), nonce_options{}) {}

keyring::keyring(std::vector<key> masters, nonce_options opts) : impl_(std::make_unique<impl>()) {
    // These copies of the master keys are ours: wipe them however the constructor ends.
    struct wipe_on_exit {
        std::vector<key>& keys;
        ~wipe_on_exit() {
            for (key& m : keys) {
                OPENSSL_cleanse(m.data(), m.size());
            }
        }
    } wipe{masters};
    if (masters.empty()) {
        throw std::invalid_argument("keyring: no master key");
    }
    if (opts.counter_limit == 0 || opts.counter_limit > (1ULL << 32)) {
        throw std::invalid_argument("keyring: nonce counter limit out of range");
    }
    impl_->cipher = EVP_CIPHER_fetch(nullptr, "AES-256-GCM", nullptr);
    impl_->mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    std::unique_ptr<EVP_KDF, decltype(&EVP_KDF_free)> kdf(EVP_KDF_fetch(nullptr, "HKDF", nullptr),
                                                          &EVP_KDF_free);
    if (impl_->cipher == nullptr || impl_->mac == nullptr || !kdf) {
        throw_openssl("AES-256-GCM, HMAC or HKDF unavailable");
    }
    for (key& m : masters) {
        std::uint32_t id = key_id_of(m);
        if (impl_->find(id) != nullptr) {
            throw std::invalid_argument("keyring: two master keys share key id " +
                                        std::to_string(id));
        }
        impl_->keys.push_back({id, hkdf_sha256(kdf.get(), m, "vrnum seal v1"),
                               hkdf_sha256(kdf.get(), m, "vrnum blind index v1")});
    }
    impl_->counter_limit = opts.counter_limit;
    impl_->start_run(opts.first_counter);
}

keyring::~keyring() = default;

std::uint32_t keyring::current_key_id() const noexcept {
    return impl_->keys.front().id;
}

std::size_t keyring::size() const noexcept {
    return impl_->keys.size();
}

std::optional<std::uint32_t> keyring::key_id_of_envelope(std::string_view envelope) noexcept {
    const auto* p = bytes(envelope);
    if (envelope.size() < overhead || p[0] != envelope_version) {
        return std::nullopt;
    }
    return get_be32(p + 1);
}

bool keyring::has_key(std::uint32_t id) const noexcept {
    return impl_->find(id) != nullptr;
}

std::uint32_t keyring::key_id_of(const key& master) {
    std::unique_ptr<EVP_MAC, decltype(&EVP_MAC_free)> mac(EVP_MAC_fetch(nullptr, "HMAC", nullptr),
                                                          &EVP_MAC_free);
    unsigned char digest[32];
    if (!mac || !hmac_sha256(mac.get(), master.data(), master.size(), "vrnum key id v1", digest)) {
        throw_openssl("HMAC-SHA256 failed");
    }
    return get_be32(digest);
}

std::string keyring::seal(std::string_view plaintext, std::int64_t row_id,
                          std::string_view column) const {
    if (plaintext.size() > INT_MAX - overhead || column.size() > INT_MAX) {
        throw std::length_error("keyring::seal: value or column name too long");
    }
    const impl::entry& k = impl_->keys.front();
    std::string out(plaintext.size() + overhead, '\0');
    auto* p = reinterpret_cast<unsigned char*>(out.data());
    p[0] = envelope_version;
    put_be32(p + 1, k.id);
    impl_->next_nonce(p + header_size);

    EVP_CIPHER_CTX* ctx = impl_->cipher_ctx(1, k, p + header_size);
    unsigned char* body = p + body_offset;
    int len = 0;
    int final_len = 0;
    if (ctx == nullptr || !add_aad(ctx, p, row_id, column) ||
        EVP_EncryptUpdate(ctx, body, &len, bytes(plaintext), static_cast<int>(plaintext.size())) !=
            1 ||
        EVP_EncryptFinal_ex(ctx, body + len, &final_len) != 1 ||
        EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, tag_size, body + plaintext.size()) != 1) {
        throw_openssl("AES-256-GCM encryption failed");
    }
    return out;
}

vrnum::result<std::string> keyring::open(std::string_view envelope, std::int64_t row_id,
                                         std::string_view column) const {
    const auto* p = bytes(envelope);
    if (envelope.size() < overhead || envelope.size() > INT_MAX || p[0] != envelope_version) {
        return make_error_code(errc::malformed);
    }
    const impl::entry* k = impl_->find(get_be32(p + 1));
    if (k == nullptr) {
        return make_error_code(errc::unavailable);
    }
    const std::size_t body_size = envelope.size() - overhead;
    const unsigned char* body = p + body_offset;
    std::string out(body_size, '\0');
    auto* o = reinterpret_cast<unsigned char*>(out.data());

    EVP_CIPHER_CTX* ctx = impl_->cipher_ctx(0, *k, p + header_size);
    if (ctx == nullptr) {
        ERR_clear_error();
        return make_error_code(errc::internal);
    }
    int len = 0;
    int final_len = 0;
    // The tag is copied by OpenSSL; the cast only satisfies the ctrl signature.
    const bool ok = add_aad(ctx, p, row_id, column) &&
                    EVP_DecryptUpdate(ctx, o, &len, body, static_cast<int>(body_size)) == 1 &&
                    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, tag_size,
                                        const_cast<unsigned char*>(body + body_size)) == 1 &&
                    EVP_DecryptFinal_ex(ctx, o + len, &final_len) == 1;
    if (!ok) {
        // Unauthenticated plaintext must not outlive the failed check.
        OPENSSL_cleanse(out.data(), out.size());
        ERR_clear_error();
        return make_error_code(errc::malformed);
    }
    return out;
}

std::string keyring::blind_index(std::string_view value) const {
    const key& k = impl_->keys.front().index_key;
    unsigned char digest[32];
    if (!hmac_sha256(impl_->mac, k.data(), k.size(), value, digest)) {
        throw_openssl("HMAC-SHA256 failed");
    }
    static constexpr char hex[] = "0123456789abcdef";
    std::string out(2 * sizeof digest, '\0');
    for (std::size_t i = 0; i < sizeof digest; ++i) {
        out[2 * i] = hex[digest[i] >> 4];
        out[2 * i + 1] = hex[digest[i] & 15];
    }
    return out;
}

}  // namespace vrnum::detail
