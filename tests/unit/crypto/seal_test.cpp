#include "crypto/seal.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <fstream>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <vrnum/error.hpp>

#include "crypto/key_file.hpp"
#include "support/temp_dir.hpp"

namespace {

using vrnum::errc;
using vrnum::detail::keyring;
namespace fs = std::filesystem;

keyring::key make_key(std::uint8_t seed) {
    keyring::key k{};
    for (std::size_t i = 0; i < k.size(); ++i) {
        k[i] = static_cast<std::uint8_t>(seed + i);
    }
    return k;
}

std::string from_hex(std::string_view hex) {
    std::string out;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16)));
    }
    return out;
}

std::string to_hex(std::string_view bytes, const char* digits = "0123456789abcdef") {
    std::string out;
    for (unsigned char c : bytes) {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

// The nonce of an envelope: prefix (8 bytes) and counter (4 bytes).
std::string nonce_of(const std::string& env) {
    return env.substr(5, 12);
}
std::string prefix_of(const std::string& env) {
    return env.substr(5, 8);
}
std::uint32_t counter_of(const std::string& env) {
    std::uint32_t c = 0;
    for (std::size_t i = 13; i < 17; ++i) {
        c = c << 8 | static_cast<unsigned char>(env[i]);
    }
    return c;
}

// Reaches the protected constructor that sets the nonce counter's range.
class small_counter_keyring : public keyring {
  public:
    small_counter_keyring(std::vector<key> masters, std::uint32_t first, std::uint64_t limit)
        : keyring(std::move(masters), nonce_options{first, limit}) {}
};

// Two different master keys whose key ids collide: a birthday search over 32-bit ids,
// deterministic (about 10^5 HMACs).
std::pair<keyring::key, keyring::key> keys_with_one_key_id() {
    std::unordered_map<std::uint32_t, std::uint32_t> seen;
    for (std::uint32_t i = 0; i < 4'000'000; ++i) {
        keyring::key k{};
        for (std::size_t b = 0; b < 4; ++b) {
            k[b] = static_cast<std::uint8_t>(i >> (8 * b));
        }
        auto [it, fresh] = seen.emplace(keyring::key_id_of(k), i);
        if (!fresh) {
            keyring::key other{};
            for (std::size_t b = 0; b < 4; ++b) {
                other[b] = static_cast<std::uint8_t>(it->second >> (8 * b));
            }
            return {other, k};
        }
    }
    throw std::logic_error("no key id collision found");
}

const std::vector<std::string>& samples() {
    static const std::vector<std::string> values = {
        "",
        "Your code is 123456",
        "😀👍🏽 emoji with a skin tone and a ZWJ 👨‍👩‍👧",
        "Привет, код подтверждения: 4711",
        "مرحبا، رمز التحقق الخاص بك هو ٤٧١١",
        "quotes \" ' ` « » “ ” and a backslash \\",
        "line one\nline two\r\nline three\n",
        std::string("nul\0inside\0\0", 13),
        std::string(1, '\0'),
        std::string(160, 'x'),
        std::string(70000, '\xff'),
    };
    return values;
}

TEST(keyring, round_trips_utf8_and_binary_byte_exact) {
    keyring ring({make_key(1)});
    std::int64_t row = 1;
    for (const std::string& value : samples()) {
        std::string env = ring.seal(value, row, "text");
        ASSERT_EQ(env.size(), value.size() + keyring::overhead);
        if (value.size() >= 8) {
            EXPECT_EQ(env.find(value), std::string::npos) << "plaintext visible in envelope";
        }
        auto opened = ring.open(env, row, "text");
        ASSERT_TRUE(opened.has_value()) << opened.error().message();
        EXPECT_EQ(*opened, value);
        ++row;
    }
}

TEST(keyring, envelope_starts_with_version_and_key_id) {
    keyring ring({make_key(1)});
    std::string env = ring.seal("hello", 5, "text");
    EXPECT_EQ(env[0], '\x01');
    std::uint32_t id = 0;
    for (std::size_t i = 1; i < 5; ++i) {
        id = id << 8 | static_cast<unsigned char>(env[i]);
    }
    EXPECT_EQ(id, ring.current_key_id());
    EXPECT_EQ(id, keyring::key_id_of(make_key(1)));
}

// Values computed independently (Python hmac/hashlib and cryptography's HKDF and AESGCM):
// they pin the key derivation, the AAD layout and the envelope format, so that rows sealed
// today still open after a refactoring.
TEST(keyring, opens_known_answer_envelopes) {
    keyring ring({make_key(0)});
    EXPECT_EQ(ring.current_key_id(), 0x811bdaf1U);
    auto text = ring.open(
        from_hex("01811bdaf10102030405060708090a0b0ce77502a3ec0fe09bfe205003e0d001c6bfc4f7d2e6"
                 "290c15d832c7049ce548"),
        7, "text");
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(*text, "Код 4711 ✓");
    auto sender = ring.open(
        from_hex("01811bdaf10102030405060708090a0b0c1cdee728098af29cfd245714c34d19cdb4c7a6faf56a"
                 "2819f82b2958"),
        -2, "sender");
    ASSERT_TRUE(sender.has_value());
    EXPECT_EQ(*sender, "+15551234567");
    EXPECT_EQ(ring.blind_index("alice@example.com"),
              "9627965b0065e253a7d029812fa5669be2c7e7dd541570ce57ba86ede16d5025");
}

TEST(keyring, rejects_every_single_byte_tamper) {
    keyring ring({make_key(1)});
    const std::string env = ring.seal("Привет 😀", 9, "text");
    for (std::size_t i = 0; i < env.size(); ++i) {
        for (unsigned char flip : {0x01, 0x80, 0xff}) {
            std::string bad = env;
            bad[i] = static_cast<char>(bad[i] ^ flip);
            auto r = ring.open(bad, 9, "text");
            ASSERT_FALSE(r.has_value()) << "byte " << i << " flip " << int{flip};
            errc want = (i >= 1 && i < 5) ? errc::unavailable : errc::malformed;
            EXPECT_EQ(r.error(), make_error_code(want)) << "byte " << i;
        }
    }
    // The failures left this thread's cipher state usable.
    auto ok = ring.open(env, 9, "text");
    ASSERT_TRUE(ok.has_value());
    EXPECT_EQ(*ok, "Привет 😀");
}

TEST(keyring, rejects_other_row_or_column) {
    keyring ring({make_key(1)});
    const std::string env = ring.seal("secret", 42, "text");
    for (std::int64_t row : {0L, 41L, 43L, -42L, 42L << 32}) {
        auto r = ring.open(env, row, "text");
        ASSERT_FALSE(r.has_value()) << row;
        EXPECT_EQ(r.error(), make_error_code(errc::malformed));
    }
    for (std::string_view column : {"sender", "tex", "text ", "Text", ""}) {
        auto r = ring.open(env, 42, column);
        ASSERT_FALSE(r.has_value()) << column;
        EXPECT_EQ(r.error(), make_error_code(errc::malformed));
    }
    EXPECT_TRUE(ring.open(env, 42, "text").has_value());
}

TEST(keyring, rotation_opens_old_key_and_unknown_key_is_unavailable) {
    keyring a({make_key(1)});
    keyring b_then_a({make_key(2), make_key(1)});
    keyring b({make_key(2)});
    const std::string env = a.seal("rotate me", 3, "text");

    EXPECT_EQ(b_then_a.current_key_id(), b.current_key_id());
    EXPECT_NE(a.current_key_id(), b.current_key_id());
    EXPECT_TRUE(b_then_a.has_key(a.current_key_id()));
    EXPECT_FALSE(b.has_key(a.current_key_id()));

    auto opened = b_then_a.open(env, 3, "text");
    ASSERT_TRUE(opened.has_value());
    EXPECT_EQ(*opened, "rotate me");
    auto refused = b.open(env, 3, "text");
    ASSERT_FALSE(refused.has_value());
    EXPECT_EQ(refused.error(), make_error_code(errc::unavailable));

    // New seals use the current key, which the old keyring cannot open.
    const std::string fresh = b_then_a.seal("new", 4, "text");
    EXPECT_TRUE(b.open(fresh, 4, "text").has_value());
    EXPECT_EQ(a.open(fresh, 4, "text").error(), make_error_code(errc::unavailable));
}

// Each thread keeps its cipher contexts and the key last loaded into them: switching keys,
// or a new keyring in place of a destroyed one, must load the right key every time.
TEST(keyring, alternating_keys_on_one_thread_use_the_right_key) {
    keyring a({make_key(1)});
    keyring b_then_a({make_key(2), make_key(1)});
    const std::string env_a = a.seal("under a", 1, "text");
    for (int round = 0; round < 3; ++round) {
        const std::string env_b = b_then_a.seal("under b", 2, "text");
        EXPECT_EQ(b_then_a.open(env_a, 1, "text").value(), "under a");
        EXPECT_EQ(b_then_a.open(env_b, 2, "text").value(), "under b");
        EXPECT_EQ(a.open(env_a, 1, "text").value(), "under a");
        EXPECT_EQ(a.seal("again", 3, "text").substr(1, 4), env_a.substr(1, 4));
    }
    // Two different master keys with one key id (found by a birthday search): a keyring made
    // after another must not reuse the key this thread's contexts still hold.
    auto [k1, k2] = keys_with_one_key_id();
    {
        keyring first({k1});
        // Both of this thread's contexts now hold k1.
        EXPECT_TRUE(first.open(first.seal("x", 1, "text"), 1, "text").has_value());
    }
    keyring second({k2});
    const std::string sealed_here = second.seal("here", 1, "text");
    std::string sealed_there;
    bool opened_there = false;
    // A fresh thread has fresh contexts, so it checks against the true k2.
    std::thread([&] {
        keyring check({k2});
        opened_there = check.open(sealed_here, 1, "text").has_value();
        sealed_there = check.seal("there", 2, "text");
    }).join();
    EXPECT_TRUE(opened_there);
    auto opened_here = second.open(sealed_there, 2, "text");
    ASSERT_TRUE(opened_here.has_value());
    EXPECT_EQ(*opened_here, "there");
}

TEST(keyring, truncated_or_extended_envelopes_fail) {
    keyring ring({make_key(1)});
    const std::string env = ring.seal("a text of some length", 1, "text");
    for (std::size_t len = 0; len < env.size(); ++len) {
        auto r = ring.open(std::string_view(env).substr(0, len), 1, "text");
        ASSERT_FALSE(r.has_value()) << len;
    }
    EXPECT_FALSE(ring.open(env + '\0', 1, "text").has_value());
    EXPECT_FALSE(ring.open(std::string_view(env).substr(1), 1, "text").has_value());
}

TEST(keyring, rejects_unknown_version) {
    keyring ring({make_key(1)});
    std::string env = ring.seal("v", 1, "text");
    env[0] = '\x02';
    EXPECT_EQ(ring.open(env, 1, "text").error(), make_error_code(errc::malformed));
}

TEST(keyring, nonces_never_repeat_across_threads) {
    keyring ring({make_key(1)});
    constexpr int threads = 4;
    constexpr int per_thread = 50'000;
    std::vector<std::vector<std::string>> nonces(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            nonces[t].reserve(per_thread);
            for (int i = 0; i < per_thread; ++i) {
                nonces[t].push_back(nonce_of(ring.seal("", i, "text")));
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    std::unordered_set<std::string> all;
    for (const auto& v : nonces) {
        all.insert(v.begin(), v.end());
    }
    EXPECT_EQ(all.size(), std::size_t{threads} * per_thread);
}

TEST(keyring, counter_exhaustion_redraws_the_prefix) {
    // Start 16 seals before the real 32-bit limit.
    small_counter_keyring ring({make_key(1)}, 0xFFFF'FFF0U, 1ULL << 32);
    std::vector<std::string> envs;
    for (int i = 0; i < 32; ++i) {
        envs.push_back(ring.seal("m" + std::to_string(i), i, "text"));
    }
    const std::string first_prefix = prefix_of(envs[0]);
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ(prefix_of(envs[i]), first_prefix) << i;
        EXPECT_EQ(counter_of(envs[i]), 0xFFFF'FFF0U + i) << i;
    }
    const std::string second_prefix = prefix_of(envs[16]);
    EXPECT_NE(second_prefix, first_prefix);
    for (int i = 16; i < 32; ++i) {
        EXPECT_EQ(prefix_of(envs[i]), second_prefix) << i;
        EXPECT_EQ(counter_of(envs[i]), static_cast<std::uint32_t>(i - 16)) << i;
    }
    std::set<std::string> distinct;
    for (int i = 0; i < 32; ++i) {
        distinct.insert(nonce_of(envs[i]));
        auto r = ring.open(envs[i], i, "text");
        ASSERT_TRUE(r.has_value());
        EXPECT_EQ(*r, "m" + std::to_string(i));
    }
    EXPECT_EQ(distinct.size(), 32U);
}

TEST(keyring, small_counter_limit_redraws_under_threads_without_repeat) {
    constexpr std::uint64_t limit = 16;
    small_counter_keyring ring({make_key(1)}, 0, limit);
    constexpr int threads = 4;
    constexpr int per_thread = 5'000;
    std::vector<std::vector<std::string>> envs(threads);
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
        pool.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                envs[t].push_back(ring.seal("", i, "text"));
            }
        });
    }
    for (auto& th : pool) {
        th.join();
    }
    std::unordered_set<std::string> nonces;
    std::unordered_set<std::string> prefixes;
    for (const auto& v : envs) {
        for (const std::string& env : v) {
            ASSERT_LT(counter_of(env), limit);
            nonces.insert(nonce_of(env));
            prefixes.insert(prefix_of(env));
        }
    }
    EXPECT_EQ(nonces.size(), std::size_t{threads} * per_thread);
    // Every prefix serves at most `limit` nonces, so at least this many were drawn.
    EXPECT_GE(prefixes.size(), std::size_t{threads} * per_thread / limit);
}

TEST(keyring, restart_draws_a_new_prefix) {
    keyring before({make_key(1)});
    keyring after({make_key(1)});
    const std::string a = before.seal("x", 1, "text");
    const std::string b = after.seal("x", 1, "text");
    EXPECT_NE(prefix_of(a), prefix_of(b));
    EXPECT_EQ(counter_of(a), 0U);
    EXPECT_EQ(counter_of(b), 0U);
    EXPECT_NE(a, b);
    EXPECT_EQ(after.open(a, 1, "text").value(), "x");
    EXPECT_EQ(before.open(b, 1, "text").value(), "x");
}

TEST(keyring, blind_index_is_deterministic_per_key) {
    keyring a({make_key(1)});
    keyring a_again({make_key(1)});
    keyring b({make_key(2)});
    keyring b_then_a({make_key(2), make_key(1)});
    const std::string ia = a.blind_index("alice@example.com");
    EXPECT_EQ(ia.size(), 64U);
    EXPECT_EQ(ia.find_first_not_of("0123456789abcdef"), std::string::npos);
    EXPECT_EQ(a.blind_index("alice@example.com"), ia);
    EXPECT_EQ(a_again.blind_index("alice@example.com"), ia);
    EXPECT_NE(a.blind_index("bob@example.com"), ia);
    EXPECT_NE(a.blind_index("Alice@example.com"), ia);
    EXPECT_NE(b.blind_index("alice@example.com"), ia);
    EXPECT_EQ(b_then_a.blind_index("alice@example.com"), b.blind_index("alice@example.com"));
    EXPECT_NE(a.blind_index(""), a.blind_index(std::string(1, '\0')));
}

TEST(keyring, refuses_no_key_and_colliding_key_ids) {
    EXPECT_THROW({ keyring none({}); }, std::invalid_argument);
    EXPECT_THROW({ keyring twice({make_key(1), make_key(1)}); }, std::invalid_argument);
    auto [k1, k2] = keys_with_one_key_id();
    ASSERT_NE(k1, k2);
    EXPECT_THROW({ keyring colliding({k1, k2}); }, std::invalid_argument);
}

std::string read_all(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const fs::path& p, const std::string& bytes, fs::perms mode) {
    std::ofstream(p, std::ios::binary) << bytes;
    fs::permissions(p, mode);
}

// The message of the std::runtime_error `f` throws, or a failure.
template <class F>
std::string error_of(F f) {
    try {
        f();
    } catch (const std::runtime_error& e) {
        return e.what();
    }
    ADD_FAILURE() << "no exception";
    return {};
}

// Neither the raw bytes nor their hex, in either case, may leak into a message.
void expect_no_key(const std::string& message, const std::string& key) {
    EXPECT_EQ(message.find(key), std::string::npos);
    EXPECT_EQ(message.find(to_hex(key)), std::string::npos);
    EXPECT_EQ(message.find(to_hex(key, "0123456789ABCDEF")), std::string::npos);
    EXPECT_EQ(message.find(to_hex(key.substr(0, 4))), std::string::npos);
}

TEST(key_file, create_then_read_round_trips_with_mode_0600) {
    vrnum::test::temp_dir dir;
    const fs::path path = dir.path() / "nested" / "deeper" / "master.key";
    // A umask that would drop the owner's write bit: the mode must still be 0600.
    mode_t old = ::umask(0277);
    auto created = vrnum::detail::create_key_file(path);
    ::umask(old);

    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_EQ(st.st_size, 32);
    EXPECT_EQ(read_all(path), std::string(created.begin(), created.end()));

    auto read = vrnum::detail::read_key_file(path);
    ASSERT_TRUE(read.has_value());
    ASSERT_EQ(read->size(), 1u);
    EXPECT_EQ(read->front(), created);
    EXPECT_NE(created, vrnum::detail::create_key_file(dir.path() / "other.key"));
}

TEST(key_file, missing_file_reads_as_nullopt) {
    vrnum::test::temp_dir dir;
    EXPECT_FALSE(vrnum::detail::read_key_file(dir.path() / "absent.key").has_value());
}

TEST(key_file, second_create_refuses_and_keeps_the_key) {
    vrnum::test::temp_dir dir;
    const fs::path path = dir.path() / "master.key";
    auto key = vrnum::detail::create_key_file(path);
    const std::string raw(key.begin(), key.end());
    std::string msg = error_of([&] { vrnum::detail::create_key_file(path); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
    EXPECT_NE(msg.find("exists"), std::string::npos) << msg;
    expect_no_key(msg, raw);
    EXPECT_EQ(read_all(path), raw);
}

TEST(key_file, create_refuses_a_symlink_at_the_path) {
    vrnum::test::temp_dir dir;
    const fs::path target = dir.path() / "target";
    const fs::path link = dir.path() / "master.key";
    fs::create_symlink(target, link);
    EXPECT_THROW(vrnum::detail::create_key_file(link), std::runtime_error);
    EXPECT_FALSE(fs::exists(target));
}

TEST(key_file, create_reports_an_unwritable_path) {
    vrnum::test::temp_dir dir;
    const fs::path blocker = dir.path() / "a_file";
    write_file(blocker, "x", fs::perms::owner_read | fs::perms::owner_write);
    const fs::path path = blocker / "master.key";
    std::string msg = error_of([&] { vrnum::detail::create_key_file(path); });
    EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
}

TEST(key_file, refuses_wrong_size) {
    vrnum::test::temp_dir dir;
    const auto rw = fs::perms::owner_read | fs::perms::owner_write;
    for (std::size_t size : {0U, 31U, 33U, 95U, 65U * 32U}) {
        const fs::path path = dir.path() / ("key" + std::to_string(size));
        const std::string bytes(size, '\x5a');
        write_file(path, bytes, rw);
        std::string msg = error_of([&] { vrnum::detail::read_key_file(path); });
        EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("32-byte keys"), std::string::npos) << msg;
        if (size > 0) {
            expect_no_key(msg, bytes);
        }
    }
}

TEST(key_file, refuses_a_file_readable_by_others) {
    vrnum::test::temp_dir dir;
    const fs::path path = dir.path() / "master.key";
    std::string bytes;
    for (int i = 0; i < 32; ++i) {
        bytes.push_back(static_cast<char>(0xa0 + i));
    }
    using fs::perms;
    for (perms extra :
         {perms::group_read | perms::others_read, perms::group_read, perms::others_write}) {
        write_file(path, bytes, perms::owner_read | perms::owner_write | extra);
        std::string msg = error_of([&] { vrnum::detail::read_key_file(path); });
        EXPECT_NE(msg.find(path.string()), std::string::npos) << msg;
        EXPECT_NE(msg.find("chmod 600"), std::string::npos) << msg;
        expect_no_key(msg, bytes);
    }
    fs::permissions(path, perms::owner_read | perms::owner_write);
    auto key = vrnum::detail::read_key_file(path);
    ASSERT_TRUE(key.has_value());
    ASSERT_EQ(key->size(), 1u);
    EXPECT_EQ(std::string(key->front().begin(), key->front().end()), bytes);
}

TEST(key_file, added_keys_come_last_and_keep_the_old_ones) {
    vrnum::test::temp_dir dir;
    const fs::path path = dir.path() / "master.key";
    EXPECT_THROW(vrnum::detail::add_key_to_file(path), std::runtime_error);  // no file yet
    auto first = vrnum::detail::create_key_file(path);
    auto second = vrnum::detail::add_key_to_file(path);
    auto third = vrnum::detail::add_key_to_file(path);
    EXPECT_NE(first, second);
    EXPECT_NE(second, third);
    auto keys = vrnum::detail::read_key_file(path);
    ASSERT_TRUE(keys.has_value());
    EXPECT_EQ(*keys, (std::vector<vrnum::detail::master_key>{first, second, third}));
    struct stat st {};
    ASSERT_EQ(::stat(path.c_str(), &st), 0);
    EXPECT_EQ(st.st_mode & 07777, 0600U);
    EXPECT_FALSE(fs::exists(dir.path() / "master.key.new"));

    // A rotation that died half way leaves <path>.new: the next one says so, the file stands.
    write_file(dir.path() / "master.key.new", "partial", fs::perms::owner_read);
    std::string msg = error_of([&] { vrnum::detail::add_key_to_file(path); });
    EXPECT_NE(msg.find("master.key.new"), std::string::npos) << msg;
    EXPECT_EQ(vrnum::detail::read_key_file(path)->size(), 3u);

    // Dropping keys rewrites the file whole.
    fs::remove(dir.path() / "master.key.new");
    vrnum::detail::rewrite_key_file(path, {third});
    EXPECT_EQ(*vrnum::detail::read_key_file(path), (std::vector<vrnum::detail::master_key>{third}));
    EXPECT_THROW(vrnum::detail::rewrite_key_file(path, {}), std::runtime_error);
}

// Rotations racing each other (two operators, a script run twice): each one either adds its
// key or fails with a clear error; no key that was reported added is ever dropped.
TEST(key_file, concurrent_rotations_never_drop_a_reported_key) {
    vrnum::test::temp_dir dir;
    const fs::path path = dir.path() / "master.key";
    auto first = vrnum::detail::create_key_file(path);
    for (int round = 0; round < 50; ++round) {
        std::mutex mutex;
        std::vector<vrnum::detail::master_key> added;
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                try {
                    auto k = vrnum::detail::add_key_to_file(path);
                    std::lock_guard lock(mutex);
                    added.push_back(k);
                } catch (const std::runtime_error& e) {
                    EXPECT_NE(std::string(e.what()).find("master.key.new"), std::string::npos)
                        << e.what();
                }
            });
        }
        for (auto& t : threads) {
            t.join();
        }
        auto keys = vrnum::detail::read_key_file(path);
        ASSERT_TRUE(keys.has_value());
        for (const auto& k : added) {
            EXPECT_NE(std::find(keys->begin(), keys->end(), k), keys->end())
                << "round " << round << ": a key reported added is not in the file";
        }
        EXPECT_EQ(keys->front(), first);
        ASSERT_LT(keys->size(), 40u);
        vrnum::detail::rewrite_key_file(path, {first});
    }
    EXPECT_FALSE(fs::exists(dir.path() / "master.key.new"));
}

TEST(key_file, refuses_a_directory) {
    vrnum::test::temp_dir dir;
    fs::create_directory(dir.path() / "d");
    fs::permissions(dir.path() / "d", fs::perms::owner_all);
    EXPECT_THROW(vrnum::detail::read_key_file(dir.path() / "d"), std::runtime_error);
}

}  // namespace
