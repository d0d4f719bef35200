// Starts the installed gateway on an ephemeral port and drains it at once.
#include <filesystem>
#include <iostream>

#include <boost/asio/io_context.hpp>

#include <vrnum/config.hpp>
#include <vrnum/gateway.hpp>
#include <vrnum/version.hpp>

int main() {
    vrnum::config cfg;
    cfg.server.listen = "127.0.0.1:0";
    auto dir = std::filesystem::temp_directory_path() / "vrnum-consumer";
    cfg.log.dir = dir / "log";
    cfg.store.path = dir / "vrnum.db";
    cfg.store.key_file = dir / "master.key";
    boost::asio::io_context ioc;
    vrnum::gateway gw(ioc, cfg);
    gw.start();
    std::cout << "vrnum " << vrnum::version() << " listening on " << gw.listen_address() << "\n";
    bool drained = false;
    gw.async_shutdown([&] { drained = true; });
    ioc.run();
    return drained ? 0 : 1;
}
