// diagnose (and the control-plane HTTP client under it) over TLS: the emulator's self-signed certificate
// is trusted only through stream.ca_file, exactly like the stream; without it the handshake fails and the
// finding names stream.ca_file as the fix.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

TEST_CASE("diagnose over TLS: verified with stream.ca_file, refused without", "[integration][diagnose]") {
  temp_dir dir{"spillway-diagnose-tls"};
  child_process emu({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("url"), "--bearer", "tok", "--tls",
                     "--cert-out", dir.str("ca.pem"), "--heartbeat", "1"},
                    dir.str("emu.log"));
  std::string url = wait_for_url(dir.str("url"));
  REQUIRE(url.rfind("https://", 0) == 0);
  auto run = [&](const std::string& ca_line, std::vector<std::string> args) {
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n" << ca_line
                                     << "[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
    std::vector<std::string> argv{bin("spillway")};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--config", dir.str("c.toml")});
    const auto r = run_to_end(argv, dir.str("cli.log"), {{"X_BEARER_TOKEN", "tok"}});
    return std::make_pair(r.code, r.out);
  };
  const std::string ca = "ca_file = \"" + dir.str("ca.pem") + "\"\n";
  REQUIRE(run(ca, {"rules", "sync"}).first == 0);
  const auto [ok_code, ok_out] = run(ca, {"diagnose", "--offline"});
  INFO(ok_out);
  CHECK(ok_code == 0);
  CHECK(ok_out.find("[ok] stream_connect") != std::string::npos);

  const auto [bad_code, bad_out] = run("", {"diagnose", "--offline"});
  INFO(bad_out);
  CHECK(bad_code == 1);
  CHECK(bad_out.find("TLS handshake with 127.0.0.1") != std::string::npos);
  CHECK(bad_out.find("stream.ca_file") != std::string::npos);
  CHECK(bad_out.find("[ok]") == std::string::npos);  // nothing else is claimed healthy
}
