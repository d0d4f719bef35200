// Embedding vrnum::gateway: load a config, add a route, serve until SIGINT or SIGTERM.
// Usage: embed_gateway [CONFIG]   (default: built-in defaults on 127.0.0.1:8080)
#include <csignal>
#include <iostream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <vrnum/config.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/log.hpp>

namespace net = boost::asio;

int main(int argc, char** argv) try {
    vrnum::config cfg = argc > 1 ? vrnum::load_config(argv[1]) : vrnum::config{};
    net::io_context ioc;
    vrnum::gateway gw(ioc, cfg, {.logger = vrnum::make_stderr_logger("info")});
    gw.add_routes({{"GET", "/hello/{name}",
                    [](vrnum::http::request& req) -> net::awaitable<vrnum::http::response> {
                        co_return vrnum::http::json_response(
                            200, "{\"hello\":\"" + req.params.at("name") + "\"}");
                    }}});
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
