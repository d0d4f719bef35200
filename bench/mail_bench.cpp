// The mail kernels: rendering a template, composing an .eml, signing an SES request, and
// queueing a mail in a write transaction of a real store (render, seal, insert, commit).

#include <filesystem>
#include <future>

#include <benchmark/benchmark.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/null_sink.h>

#include "mail/mailer.hpp"
#include "mail/outbox_store.hpp"
#include "net/sigv4.hpp"

namespace {

using namespace vrnumd::mail;

const site_values site{"VRNUM", "https://sms.example.com", "support@example.com",
                       "privacy@example.com"};

void render_confirm_email(benchmark::State& state) {
    const auto& t = template_set::builtin();
    boost::json::object params{{"token", "q8Zr3kT0p5XbN2mWc7Yd"}, {"valid_hours", 24}};
    for (auto _ : state) {
        benchmark::DoNotOptimize(t.render("confirm_email", params, site));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(render_confirm_email);

void compose_eml(benchmark::State& state) {
    auto content = template_set::builtin().render(
        "confirm_email", {{"token", "q8Zr3kT0p5XbN2mWc7Yd"}, {"valid_hours", 24}}, site);
    mime_message m{{"VRNUM", "no-reply@example.com"},
                   {"", "user@example.com"},
                   content.subject,
                   content.text,
                   content.html,
                   "<0123456789abcdef0123456789abcdef@example.com>",
                   1796670000000};
    for (auto _ : state) {
        benchmark::DoNotOptimize(compose(m));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(compose_eml);

void sigv4_sign_ses(benchmark::State& state) {
    std::string body(1500, 'x');  // about a rendered SendEmail body
    vrnumd::net::sigv4_request req{
        "POST",
        "/v2/email/outbound-emails",
        "",
        {{"Host", "email.eu-west-1.amazonaws.com"}, {"Content-Type", "application/json"}},
        body};
    vrnumd::net::aws_credentials cred{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      ""};
    for (auto _ : state) {
        benchmark::DoNotOptimize(
            vrnumd::net::sigv4_sign(req, cred, "eu-west-1", "ses", "20261207T190000Z"));
    }
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(sigv4_sign_ses);

// One mail queued per write job, each job waited for: the cost an event pays for its mail
// (with synchronous=FULL, mostly the commit's fsync).
void enqueue_mail(benchmark::State& state) {
    auto dir = std::filesystem::temp_directory_path() / "vrnum_mail_bench";
    std::filesystem::remove_all(dir);
    vrnum::store_config cfg;
    cfg.path = dir / "vrnum.db";
    cfg.key_file = dir / "master.key";
    auto log =
        std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_mt>());
    auto st = vrnum::store::open(cfg, {.logger = log, .migrations = migrations()});
    {
        mailer m(
            *st, [](boost::asio::any_io_executor) -> std::unique_ptr<transport> { return nullptr; },
            template_set::builtin(), mailbox{"VRNUM", "no-reply@example.com"}, site, log);
        mail_request r{"user@example.com",
                       "confirm_email",
                       {{"token", "q8Zr3kT0p5XbN2mWc7Yd"}, {"valid_hours", 24}},
                       1};
        for (auto _ : state) {
            std::promise<boost::system::error_code> done;
            st->write([&](vrnum::write_txn& txn) { m.enqueue(txn, r); },
                      [&](boost::system::error_code ec) { done.set_value(ec); });
            if (done.get_future().get()) {
                state.SkipWithError("enqueue failed");
                break;
            }
        }
    }
    st->close();
    st.reset();
    std::filesystem::remove_all(dir);
    state.SetItemsProcessed(state.iterations());
}
BENCHMARK(enqueue_mail)->UseRealTime();

}  // namespace
