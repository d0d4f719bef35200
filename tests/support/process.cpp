#include "support/process.hpp"

#include <cstdlib>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

namespace vrnum::test {

// The build passes both paths in; the environment may override them.
std::string vrnumd_path() {
    const char* p = std::getenv("VRNUMD");
    return p && *p ? p : VRNUM_TEST_VRNUMD;
}

std::string source_dir() {
    const char* p = std::getenv("VRNUM_SOURCE_DIR");
    return p && *p ? p : VRNUM_TEST_SOURCE_DIR;
}

child_process::child_process(const std::vector<std::string>& argv) {
    int out[2];
    int err[2];
    if (::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0) {
        throw std::runtime_error("pipe failed");
    }
    pid_ = ::fork();
    if (pid_ == 0) {
        ::dup2(out[1], 1);
        ::dup2(err[1], 2);
        std::vector<char*> args;
        for (const auto& a : argv) {
            args.push_back(const_cast<char*>(a.c_str()));
        }
        args.push_back(nullptr);
        ::execv(args[0], args.data());
        ::_exit(127);
    }
    ::close(out[1]);
    ::close(err[1]);
    out_fd_ = out[0];
    err_fd_ = err[0];
    ::fcntl(err_fd_, F_SETFL, O_NONBLOCK);
}

child_process::~child_process() {
    if (!status_) {
        ::kill(pid_, SIGKILL);
        wait(std::chrono::seconds(10));
    }
    ::close(out_fd_);
    ::close(err_fd_);
}

std::optional<std::string> child_process::read_line(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto nl = out_buf_.find('\n');
        if (nl != std::string::npos) {
            std::string line = out_buf_.substr(0, nl);
            out_buf_.erase(0, nl + 1);
            return line;
        }
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            return std::nullopt;
        }
        pollfd p{out_fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) {
            continue;
        }
        char buf[4096];
        auto n = ::read(out_fd_, buf, sizeof buf);
        if (n <= 0) {
            if (out_buf_.empty()) {
                return std::nullopt;
            }
            // At EOF, a last line without its newline is still a line.
            std::string line = std::move(out_buf_);
            out_buf_.clear();
            return line;
        }
        out_buf_.append(buf, static_cast<std::size_t>(n));
    }
}

void child_process::signal(int sig) {
    ::kill(pid_, sig);
}

std::optional<int> child_process::wait(std::chrono::milliseconds timeout) {
    if (status_) {
        return status_;
    }
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        stderr_text();  // keep the pipe drained so the child never blocks on it
        int st = 0;
        if (::waitpid(pid_, &st, WNOHANG) == pid_) {
            status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
            return status_;
        }
        if (std::chrono::steady_clock::now() > deadline) {
            return std::nullopt;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
}

std::string child_process::stderr_text() {
    char buf[4096];
    for (;;) {
        auto n = ::read(err_fd_, buf, sizeof buf);
        if (n <= 0) {
            break;
        }
        err_buf_.append(buf, static_cast<std::size_t>(n));
    }
    return err_buf_;
}

run_result run(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
    child_process p(argv);
    run_result r;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (auto line = p.read_line(std::chrono::duration_cast<std::chrono::milliseconds>(
               deadline - std::chrono::steady_clock::now()))) {
        r.out += *line + "\n";
    }
    auto code = p.wait(std::chrono::duration_cast<std::chrono::milliseconds>(
        std::max(deadline - std::chrono::steady_clock::now(),
                 std::chrono::steady_clock::duration(std::chrono::seconds(1)))));
    r.exit_code = code.value_or(-1000);
    r.err = p.stderr_text();
    return r;
}

std::string start_daemon(child_process& p, std::string* error) {
    const std::string prefix = "listening on ";
    while (auto line = p.read_line(std::chrono::seconds(30))) {
        if (line->rfind(prefix, 0) == 0) {
            return line->substr(prefix.size());
        }
    }
    if (error) {
        p.wait(std::chrono::seconds(5));
        *error = p.stderr_text();
    }
    return {};
}

}  // namespace vrnum::test
