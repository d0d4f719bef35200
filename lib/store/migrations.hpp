#pragma once
// Numbered schema migrations per component, recorded in one table.

#include <vector>

#include <vrnum/store.hpp>

#include "store/sqlite.hpp"

namespace vrnum::detail {

/// The gateway's own migrations (the `messages` and `message_parts` tables).
const std::vector<migration>& gateway_migrations();

/// Applies, in (component, version) order, each migration not yet recorded, each in its own
/// `BEGIN IMMEDIATE` transaction; returns how many it applied. Throws sqlite_error, or
/// std::runtime_error when versions of a component are not 1, 2, 3, ...
int apply_migrations(connection& db, std::vector<migration> all);

}  // namespace vrnum::detail
