// Embedding vrnum::gateway: load a config, print every committed SMS, serve until SIGINT or
// SIGTERM, then catch up on what arrived while the callback could not run.
// Usage: embed_gateway CONFIG
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <vrnum/config.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/log.hpp>

namespace net = boost::asio;

int main(int argc, char** argv) try {
    if (argc != 2) {
        std::cerr << "usage: embed_gateway CONFIG\n";
        return 2;
    }
    net::io_context ioc;
    vrnum::gateway gw(ioc, vrnum::load_config(argv[1]),
                      {.logger = vrnum::make_stderr_logger("warn")});
    // After a restart, read what was committed since the last message we handled.
    for (const auto& m : gw.messages_after(0, 100)) {
        std::cout << "stored " << m.id << " from " << m.from << ": " << m.text << std::endl;
    }
    gw.on_message([](const vrnum::stored_message& m) {
        std::cout << "message " << m.id << " from " << m.from << ": " << m.text << std::endl;
    });
    gw.start();
    gw.set_ready(true);
    std::cout << "listening on " << gw.listen_address() << std::endl;

    net::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](auto, int) { gw.async_shutdown([&] { ioc.stop(); }); });
    ioc.run();
    return 0;
} catch (const std::exception& e) {
    std::cerr << "embed_gateway: " << e.what() << "\n";
    return 1;
}
