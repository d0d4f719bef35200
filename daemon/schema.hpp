#pragma once
/// \file
/// The schema migrations of vrnumd's own components, applied with the gateway's (by `serve`,
/// `migrate` and every command that opens the store).

#include <vector>

#include <vrnum/store.hpp>

namespace vrnumd {

/// Every daemon component's migrations.
std::vector<vrnum::migration> daemon_migrations();

}  // namespace vrnumd
