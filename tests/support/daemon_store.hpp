#pragma once
// A store with every vrnumd component's tables, in a temporary directory, opened quietly:
// what the daemon components' store-level tests share.

#include <memory>

#include <vrnum/store.hpp>

#include "schema.hpp"
#include "support/store_helpers.hpp"

namespace vrnum::test {

/// Opens the store of `c` with vrnumd's migrations and sealed tables.
inline std::shared_ptr<vrnum::store> open_daemon_store(const vrnum::store_config& c) {
    return vrnum::store::open(c, {.logger = quiet_logger(),
                                  .migrations = vrnumd::daemon_migrations(),
                                  .sealed = vrnumd::daemon_sealed_tables()});
}

}  // namespace vrnum::test
