#include "crypto/key_file.hpp"

#include <cerrno>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vrnum::detail {
namespace {

// Closes a descriptor on every path out of a function.
class fd_guard {
  public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    ~fd_guard() {
        if (fd_ >= 0) {
            ::close(fd_);
        }
    }
    int get() const noexcept { return fd_; }
    // Closes now, reporting the result (a deferred write error can surface here).
    int close() noexcept {
        int rc = ::close(fd_);
        fd_ = -1;
        return rc;
    }

  private:
    int fd_;
};

[[noreturn]] void fail(const std::filesystem::path& path, const std::string& what, int err = 0) {
    std::string msg = "key file " + path.string() + ": " + what;
    if (err != 0) {
        msg += ": " + std::generic_category().message(err);
    }
    throw std::runtime_error(msg);
}

bool write_all(int fd, const unsigned char* p, std::size_t n) {
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w < 0 && errno == EINTR) {
            continue;
        }
        if (w <= 0) {
            return false;
        }
        p += w;
        n -= static_cast<std::size_t>(w);
    }
    return true;
}

// Reads up to `n` bytes, fewer only at end of file; -1 on error.
ssize_t read_full(int fd, unsigned char* p, std::size_t n) {
    std::size_t got = 0;
    while (got < n) {
        ssize_t r = ::read(fd, p + got, n - got);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            return -1;
        }
        if (r == 0) {
            break;
        }
        got += static_cast<std::size_t>(r);
    }
    return static_cast<ssize_t>(got);
}

// Makes the new directory entry durable, not only the file's content.
void fsync_dir(const std::filesystem::path& file) {
    std::filesystem::path dir = file.parent_path();
    if (dir.empty()) {
        dir = ".";
    }
    fd_guard d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (d.get() < 0 || ::fsync(d.get()) != 0) {
        fail(file, "cannot fsync its directory", errno);
    }
}

// Writes `keys` to the freshly created, empty `fd` and makes it durable; errno on failure.
int write_keys(int fd, const std::vector<master_key>& keys) {
    errno = 0;
    if (::fchmod(fd, S_IRUSR | S_IWUSR) != 0) {
        return errno != 0 ? errno : EIO;
    }
    for (const master_key& key : keys) {
        if (!write_all(fd, key.data(), key.size())) {
            return errno != 0 ? errno : EIO;
        }
    }
    return ::fsync(fd) != 0 ? (errno != 0 ? errno : EIO) : 0;
}

// Creates `path` exclusively with `keys` in it, durable; removes it again on failure.
void create_with(const std::filesystem::path& path, const std::vector<master_key>& keys) {
    // O_EXCL: never replace an existing file (nor follow a symlink planted at the path).
    fd_guard fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR));
    if (fd.get() < 0) {
        int err = errno;
        fail(path,
             err == EEXIST ? "already exists; refusing to overwrite a key" : "cannot be created",
             err == EEXIST ? 0 : err);
    }
    int err = write_keys(fd.get(), keys);
    if (err == 0 && fd.close() != 0) {
        err = errno;
    }
    if (err != 0) {
        // A half-written key would be refused at the next start and block a retry.
        ::unlink(path.c_str());
        fail(path, "cannot be written", err);
    }
}

master_key random_key(const std::filesystem::path& path) {
    master_key key{};
    if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
        fail(path, "the random generator failed");
    }
    return key;
}

}  // namespace

master_key create_key_file(const std::filesystem::path& path) {
    if (std::filesystem::path parent = path.parent_path(); !parent.empty()) {
        std::error_code ec;
        std::filesystem::create_directories(parent, ec);
        if (ec) {
            fail(path, "cannot create its directory", ec.value());
        }
    }
    std::vector<master_key> keys{random_key(path)};
    try {
        create_with(path, keys);
        fsync_dir(path);
    } catch (...) {
        cleanse_keys(keys);
        throw;
    }
    master_key key = keys.front();
    cleanse_keys(keys);
    return key;
}

std::optional<std::vector<master_key>> read_key_file(const std::filesystem::path& path) {
    fd_guard fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (fd.get() < 0) {
        if (errno == ENOENT) {
            return std::nullopt;
        }
        fail(path, "cannot be opened", errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        fail(path, "cannot be inspected", errno);
    }
    if (!S_ISREG(st.st_mode)) {
        fail(path, "is not a regular file");
    }
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        fail(path, std::string("is accessible by group or others (mode ") + mode +
                       "); run: chmod 600 " + path.string());
    }
    constexpr auto key_size = static_cast<off_t>(sizeof(master_key));
    if (st.st_size <= 0 || st.st_size % key_size != 0 ||
        st.st_size > key_size * static_cast<off_t>(max_keys_in_file)) {
        fail(path, "must hold whole 32-byte keys (1 to " + std::to_string(max_keys_in_file) +
                       "), found " + std::to_string(st.st_size) + " bytes");
    }
    std::vector<master_key> keys(static_cast<std::size_t>(st.st_size / key_size));
    const std::size_t want = keys.size() * sizeof(master_key);
    unsigned char extra = 0;
    ssize_t n = read_full(fd.get(), keys.front().data(), want);
    // One more byte would mean the file grew after fstat: refuse rather than truncate.
    if (n != static_cast<ssize_t>(want) || read_full(fd.get(), &extra, 1) != 0) {
        int err = n < 0 ? errno : 0;
        cleanse_keys(keys);
        fail(path, "must hold whole 32-byte keys; it changed while being read", err);
    }
    return keys;
}

namespace {

// Replaces the key file at `path` with `make_keys()`, atomically: written to `<path>.new`,
// fsync'ed, renamed over, directory fsync'ed. `<path>.new`, created exclusively, is also the
// lock: `make_keys` reads the current file only once it is held, so of two rotations racing
// each other the second fails instead of writing over the first one's key.
template <class MakeKeys>
void replace_key_file(const std::filesystem::path& path, MakeKeys make_keys) {
    std::filesystem::path next = path;
    next += ".new";
    fd_guard fd(::open(next.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, S_IRUSR | S_IWUSR));
    if (fd.get() < 0) {
        int err = errno;
        if (err == EEXIST) {
            fail(path,
                 "is being replaced by another command, or a rotation did not finish: if "
                 "none is running, remove " +
                     next.string() + " and retry");
        }
        fail(next, "cannot be created", err);
    }
    std::vector<master_key> keys;
    try {
        keys = make_keys();
    } catch (...) {
        ::unlink(next.c_str());
        throw;
    }
    int err = 0;
    if (keys.empty() || keys.size() > max_keys_in_file) {
        cleanse_keys(keys);
        ::unlink(next.c_str());
        fail(path, "must hold 1 to " + std::to_string(max_keys_in_file) + " keys");
    }
    // The same owner as the file it replaces: root rotating the key of a daemon that runs as
    // its own user must not leave it a file it cannot read.
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_uid != ::geteuid() || st.st_gid != ::getegid()) &&
        ::fchown(fd.get(), st.st_uid, st.st_gid) != 0) {
        err = errno;
    }
    if (err == 0) {
        err = write_keys(fd.get(), keys);
    }
    cleanse_keys(keys);
    if (err == 0 && fd.close() != 0) {
        err = errno;
    }
    if (err != 0) {
        ::unlink(next.c_str());
        fail(next, "cannot be written", err);
    }
    if (::rename(next.c_str(), path.c_str()) != 0) {
        err = errno;
        ::unlink(next.c_str());
        fail(path, "cannot be replaced", err);
    }
    fsync_dir(path);
}

}  // namespace

void rewrite_key_file(const std::filesystem::path& path, const std::vector<master_key>& keys) {
    replace_key_file(path, [&keys] { return keys; });
}

master_key add_key_to_file(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(std::filesystem::symlink_status(path, ec))) {
        fail(path, "does not exist; a new store creates its key file itself");
    }
    master_key added{};
    replace_key_file(path, [&] {
        auto keys = read_key_file(path);
        if (!keys) {
            fail(path, "does not exist; a new store creates its key file itself");
        }
        if (keys->size() >= max_keys_in_file) {
            cleanse_keys(*keys);
            fail(path, "already holds " + std::to_string(max_keys_in_file) +
                           " keys; drop the ones no row uses first");
        }
        keys->push_back(random_key(path));
        added = keys->back();
        return std::move(*keys);
    });
    return added;
}

void cleanse_keys(std::vector<master_key>& keys) noexcept {
    for (master_key& k : keys) {
        OPENSSL_cleanse(k.data(), k.size());
    }
}

}  // namespace vrnum::detail
