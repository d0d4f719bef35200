#pragma once
// Runs vrnumd (or any program) as a child process for tests: its stdout line by line,
// signals, exit status.

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace vrnum::test {

/// Path of the vrnumd under test (from the VRNUMD environment variable set by CTest).
std::string vrnumd_path();
/// The source tree (from VRNUM_SOURCE_DIR).
std::string source_dir();

/// A child process with stdout and stderr captured. Killed (SIGKILL) if still running when
/// destroyed.
class child_process {
  public:
    explicit child_process(const std::vector<std::string>& argv);
    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /// The next line of stdout (at EOF, what is left without a newline), or nullopt on EOF
    /// or after `timeout`.
    std::optional<std::string> read_line(std::chrono::milliseconds timeout);
    void signal(int sig);
    /// The process id (for /proc).
    int pid() const noexcept { return pid_; }
    /// The exit code, or nullopt if it does not exit within `timeout` (then -signal if killed).
    std::optional<int> wait(std::chrono::milliseconds timeout);
    /// Everything written to stderr so far (after the process ended: all of it).
    std::string stderr_text();

  private:
    int pid_ = -1;
    int out_fd_ = -1;
    int err_fd_ = -1;
    std::string out_buf_;
    std::string err_buf_;
    std::optional<int> status_;
};

/// Runs a command to completion (at most `timeout`); returns exit code, stdout, stderr.
struct run_result {
    int exit_code = -1;
    std::string out;
    std::string err;
};
run_result run(const std::vector<std::string>& argv,
               std::chrono::milliseconds timeout = std::chrono::seconds(60));

/// Starts `vrnumd serve -c config` and waits for "listening on HOST:PORT"; returns the
/// address, or an empty string (with the child's stderr in `error`) if it did not start.
std::string start_daemon(child_process& p, std::string* error = nullptr);

}  // namespace vrnum::test
