#pragma once
// A directory under the system temp dir, removed with everything in it on destruction.

#include <filesystem>
#include <string>

namespace vrnum::test {

class temp_dir {
  public:
    temp_dir();
    ~temp_dir();
    temp_dir(const temp_dir&) = delete;
    temp_dir& operator=(const temp_dir&) = delete;

    const std::filesystem::path& path() const { return path_; }
    /// Writes `text` to `name` inside the directory; returns its path.
    std::filesystem::path write(const std::string& name, const std::string& text) const;

  private:
    std::filesystem::path path_;
};

}  // namespace vrnum::test
