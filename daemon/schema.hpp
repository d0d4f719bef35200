#pragma once
/// \file
/// The schema migrations and sealed tables of vrnumd's own components, given to the store with
/// the gateway's (by `serve`, `migrate` and every command that opens the store).

#include <vector>

#include <vrnum/store.hpp>

namespace vrnumd {

/// Every daemon component's migrations.
std::vector<vrnum::migration> daemon_migrations();
/// Every daemon component's sealed tables (key checks, `keys status`, re-sealing).
std::vector<vrnum::sealed_table> daemon_sealed_tables();

}  // namespace vrnumd
