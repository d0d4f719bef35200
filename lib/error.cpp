#include <array>

#include <vrnum/error.hpp>

namespace vrnum {
namespace {

struct entry {
    std::string_view code;
    unsigned status;
};

// Indexed by errc; keep in the enum's order.
constexpr std::array<entry, 19> table{{
    {"ok", 200},
    {"malformed", 400},
    {"bad_signature", 401},
    {"unauthorized", 401},
    {"insufficient_funds", 402},
    {"forbidden", 403},
    {"csrf", 403},
    {"not_found", 404},
    {"method_not_allowed", 405},
    {"conflict", 409},
    {"length_required", 411},
    {"too_large", 413},
    {"unsupported_media_type", 415},
    {"validation", 422},
    {"rate_limited", 429},
    {"headers_too_large", 431},
    {"internal", 500},
    {"overloaded", 503},
    {"unavailable", 503},
}};

const entry* find(const boost::system::error_code& ec) noexcept {
    if (ec.category() == verify_category()) {
        return &table[static_cast<std::size_t>(errc::bad_signature)];
    }
    if (ec.category() != vrnum_category()) {
        return nullptr;
    }
    auto i = static_cast<std::size_t>(ec.value());
    return i > 0 && i < table.size() ? &table[i] : nullptr;
}

class category final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "vrnum"; }
    std::string message(int ev) const override {
        auto i = static_cast<std::size_t>(ev);
        return i < table.size() ? std::string(table[i].code) : "unknown";
    }
};

class verify_category_impl final : public boost::system::error_category {
  public:
    const char* name() const noexcept override { return "vrnum.verify"; }
    std::string message(int ev) const override {
        switch (static_cast<verify_error>(ev)) {
            case verify_error::missing:
                return "missing";
            case verify_error::mismatch:
                return "mismatch";
            case verify_error::stale:
                return "stale";
            case verify_error::replayed:
                return "replayed";
        }
        return "unknown";
    }
};

}  // namespace

const boost::system::error_category& vrnum_category() noexcept {
    static const category instance;
    return instance;
}

const boost::system::error_category& verify_category() noexcept {
    static const verify_category_impl instance;
    return instance;
}

unsigned to_http_status(const boost::system::error_code& ec) noexcept {
    const entry* e = find(ec);
    return e ? e->status : 500;
}

std::string_view to_wire_code(const boost::system::error_code& ec) noexcept {
    const entry* e = find(ec);
    return e ? e->code : "internal";
}

}  // namespace vrnum
