#include "mail/file_transport.hpp"

#include <cerrno>
#include <cstring>
#include <system_error>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace vrnumd::mail {
namespace {

struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) {
            ::close(fd);
        }
    }
};

std::string errno_text(std::string_view what) {
    return std::string(what) + ": " + std::strerror(errno);
}

bool write_all(int fd, std::string_view bytes) {
    while (!bytes.empty()) {
        ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return false;
        }
        bytes.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

class file_transport final : public transport {
  public:
    explicit file_transport(std::filesystem::path dir) : dir_(std::move(dir)) {}

    boost::asio::awaitable<send_result> send(const outgoing_mail& m) override {
        co_return write_file(m);
    }

    void erase(const std::vector<std::string>& tokens) override {
        for (const std::string& t : tokens) {
            std::error_code ec;
            std::filesystem::remove(dir_ / (t + ".eml"), ec);
        }
    }

    std::vector<std::string> kept() const override {
        std::vector<std::string> tokens;
        std::error_code ec;
        for (const auto& e : std::filesystem::directory_iterator(dir_, ec)) {
            if (e.path().extension() == ".eml") {
                tokens.push_back(e.path().stem().string());
            }
        }
        return tokens;
    }

    std::string_view name() const override { return "file"; }

  private:
    send_result retry(std::string why) const {
        return {send_result::outcome::retry, std::move(why)};
    }

    // A failure here (a full disk, a folder made read-only) may pass: the mail stays queued.
    send_result write_file(const outgoing_mail& m) const {
        std::error_code ec;
        if (!std::filesystem::exists(dir_, ec)) {
            std::filesystem::create_directories(dir_, ec);
            if (ec) {
                return retry("cannot create " + dir_.string() + ": " + ec.message());
            }
            ::chmod(dir_.c_str(), 0700);
        }
        std::string domain = m.from.address.substr(m.from.address.rfind('@') + 1);
        std::string eml = compose({m.from, m.to, m.content.subject, m.content.text, m.content.html,
                                   "<" + m.token + "@" + domain + ">", m.date});
        std::filesystem::path final_path = dir_ / (m.token + ".eml");
        std::filesystem::path tmp = dir_ / ("." + m.token + ".tmp");
        {
            fd_guard f{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)};
            if (f.fd < 0) {
                return retry(errno_text("cannot create " + tmp.string()));
            }
            if (!write_all(f.fd, eml) || ::fsync(f.fd) != 0) {
                auto why = retry(errno_text("cannot write " + tmp.string()));
                ::unlink(tmp.c_str());
                return why;
            }
        }
        if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
            auto why = retry(errno_text("cannot rename to " + final_path.string()));
            ::unlink(tmp.c_str());
            return why;
        }
        fd_guard d{::open(dir_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
        if (d.fd >= 0) {
            ::fsync(d.fd);  // the rename itself durable
        }
        return {send_result::outcome::sent, final_path.filename().string()};
    }

    std::filesystem::path dir_;
};

}  // namespace

std::unique_ptr<transport> make_file_transport(std::filesystem::path dir) {
    return std::make_unique<file_transport>(std::move(dir));
}

}  // namespace vrnumd::mail
