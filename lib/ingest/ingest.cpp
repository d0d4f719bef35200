#include "ingest/ingest.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <vrnum/error.hpp>
#include <vrnum/time.hpp>

#include "log/json_log.hpp"

namespace vrnum::detail {
namespace net = boost::asio;

namespace {

// In the order of ingest::outcome.
constexpr std::array<std::string_view, 9> outcome_names{
    "accepted",   "duplicate", "bad_signature",          "stale",
    "malformed",  "too_large", "unsupported_media_type", "overloaded",
    "unavailable"};

}  // namespace

ingest::ingest(std::vector<std::unique_ptr<source>> sources, std::shared_ptr<store> st,
               std::shared_ptr<spdlog::logger> log, prometheus::Registry& registry)
    : sources_(std::move(sources)), store_(std::move(st)), log_(std::move(log)) {
    auto& outcomes = prometheus::BuildCounter()
                         .Name("vrnum_webhooks_total")
                         .Help(
                             "Webhooks by source and outcome (accepted, duplicate, or the "
                             "reason they were refused)")
                         .Register(registry);
    auto& latency = prometheus::BuildHistogram()
                        .Name("vrnum_message_commit_latency_seconds")
                        .Help("From the provider's timestamp to the commit, by source")
                        .Register(registry);
    static const prometheus::Histogram::BucketBoundaries buckets{0.01, 0.05, 0.1, 0.5, 1,   5,
                                                                 10,   30,   60,  300, 3600};
    static_assert(outcome_names.size() == outcome_count);
    for (const auto& src : sources_) {
        std::string id(src->id());
        source_metrics m;
        for (std::size_t o = 0; o < outcome_count; ++o) {
            m.outcomes[o] =
                &outcomes.Add({{"source", id}, {"outcome", std::string(outcome_names[o])}});
        }
        m.latency = &latency.Add({{"source", id}}, buckets);
        metrics_.push_back(m);
    }
}

std::vector<http::route> ingest::routes() {
    std::vector<http::route> out;
    for (std::size_t i = 0; i < sources_.size(); ++i) {
        for (std::string& method : sources_[i]->methods()) {
            http::route r{std::move(method), "/webhooks/" + std::string(sources_[i]->id()),
                          [this, i](http::request& req) { return handle(i, req.view()); }};
            r.refused = [this, i](const boost::system::error_code& ec) {
                refused(i, ec == errc::too_large ? too_large : malformed, to_wire_code(ec));
            };
            out.push_back(std::move(r));
        }
    }
    return out;
}

void ingest::refused(std::size_t i, outcome why, std::string_view cause) {
    metrics_[i].outcomes[why]->Increment();
    std::uint64_t suppressed = 0;
    if (limiter_.allow(suppressed)) {
        log_event(*log_, spdlog::level::warn, "webhook refused",
                  {{"source", sources_[i]->id()},
                   {"reason", outcome_names[why]},
                   {"cause", cause},
                   {"suppressed", suppressed}});
    }
}

http::response ingest::reject(std::size_t i, outcome why, errc code, std::string_view detail,
                              std::string_view cause) {
    refused(i, why, cause.empty() ? outcome_names[why] : cause);
    return http::error_response(code, detail);
}

net::awaitable<http::response> ingest::handle(std::size_t i, request_view req) {
    const source& src = *sources_[i];
    const source_metrics& metrics = metrics_[i];
    auto now = std::chrono::system_clock::now();
    if (auto ec = src.verify(req, base_url_, now)) {
        if (ec.category() != verify_category() && ec != errc::bad_signature) {
            log_event(*log_, spdlog::level::err, "signature check failed",
                      {{"source", src.id()}, {"error", ec.message()}});
            co_return http::error_response(errc::internal, "the signature could not be checked");
        }
        co_return reject(i, ec == verify_error::stale ? stale : bad_signature, errc::bad_signature,
                         "signature missing, wrong or outside the time window", ec.message());
    }
    if (!src.accepts_content_type(req.header("Content-Type"))) {
        co_return reject(i, unsupported_media_type, errc::unsupported_media_type,
                         "this source takes another Content-Type");
    }
    auto parsed = src.parse(req, now);
    if (!parsed) {
        co_return reject(i, malformed, errc::malformed, "the body could not be read");
    }
    for (message& m : parsed->messages) {
        std::optional<unix_ms> sent_at = m.sent_at;
        auto [ec, result] =
            co_await store_->async_append(std::move(m), net::as_tuple(net::use_awaitable));
        if (ec) {
            const bool full = ec == errc::overloaded;
            auto r = reject(i, full ? overloaded : unavailable,
                            full ? errc::overloaded : errc::unavailable,
                            "the message could not be stored; retry later");
            r.set("Retry-After", full ? "1" : "5");
            co_return r;
        }
        metrics.outcomes[result.duplicate ? duplicate : accepted]->Increment();
        if (sent_at && !result.duplicate) {
            metrics.latency->Observe(
                static_cast<double>(std::max<unix_ms>(0, now_unix_ms() - *sent_at)) / 1000.0);
        }
    }
    src.accepted(req, now);
    http::response ok;
    if (auto answer = src.accepted_answer(); !answer.content_type.empty()) {
        ok.set("Content-Type", std::move(answer.content_type));
        ok.body = std::move(answer.body);
    }
    co_return ok;
}

}  // namespace vrnum::detail
