#include "schema.hpp"

#include "accounts/account_store.hpp"
#include "mail/outbox_store.hpp"
#include "numbers/rentals.hpp"
#include "payments/invoices.hpp"
#include "wallet/ledger.hpp"

namespace vrnumd {

std::vector<vrnum::migration> daemon_migrations() {
    std::vector<vrnum::migration> all;
    for (auto& m : mail::migrations()) {
        all.push_back(std::move(m));
    }
    for (auto& m : accounts::migrations()) {
        all.push_back(std::move(m));
    }
    for (auto& m : wallet::migrations()) {
        all.push_back(std::move(m));
    }
    for (auto& m : payments::migrations()) {
        all.push_back(std::move(m));
    }
    for (auto& m : numbers::migrations()) {
        all.push_back(std::move(m));
    }
    return all;
}

std::vector<vrnum::sealed_table> daemon_sealed_tables() {
    return {mail::sealed_columns(), accounts::sealed_columns()};
}

}  // namespace vrnumd
