#pragma once
/// \file
/// The library's version and the versions of what it is built with.

#include <string>
#include <utility>
#include <vector>

namespace vrnum {

/// The library version (`MAJOR.MINOR.PATCH`).
const char* version() noexcept;

/// (component, version) for vrnum and every library it links, for `vrnumd version`.
std::vector<std::pair<std::string, std::string>> component_versions();

}  // namespace vrnum
