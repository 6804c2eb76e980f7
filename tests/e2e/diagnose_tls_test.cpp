// diagnose (and the control-plane HTTP client under it) over TLS: the emulator's self-signed certificate
// is trusted only through stream.ca_file, exactly like the stream; without it the handshake fails and the
// finding names stream.ca_file as the fix.
#include <catch2/catch.hpp>

#include <fstream>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_run.hpp"
#include "tests/support/emulator_process.hpp"
#include "tests/support/temp_dir.hpp"

using namespace spillway::testing;
using namespace std::chrono_literals;

namespace {
bool has_text(const std::string& text, const std::string& needle) { return text.find(needle) != std::string::npos; }
}  // namespace

TEST_CASE("diagnose over TLS: verified with stream.ca_file, refused without", "[integration][diagnose]") {
  temp_dir dir{"spillway-diagnose-tls"};
  emulator_process emu(dir, {"--bearer", "tok", "--tls", "--cert-out", dir.str("ca.pem"), "--heartbeat", "1"});
  const std::string& url = emu.url;
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

// stream.ca_file adds to the system store; stream.trust_system_roots = false trusts stream.ca_file alone.
// The "system store" here is the emulator's CA given through SSL_CERT_FILE (OpenSSL's default path), so
// the test shows both which store is consulted and that it is ignored when asked.
TEST_CASE("TLS trust: ca_file adds to the system store - trust_system_roots = false trusts ca_file only",
          "[integration][diagnose][tls]") {
  temp_dir dir{"spillway-tls-trust"};
  emulator_process emu(dir, {"--bearer", "tok", "--tls", "--cert-out", dir.str("ca.pem"), "--heartbeat", "1"});
  const std::string& url = emu.url;
  {  // another self-signed CA, which did not sign the emulator's certificate
    child_process other({bin("spillway-emu"), "--port", "0", "--ready-file", dir.str("other-url"), "--tls",
                         "--cert-out", dir.str("other.pem")},
                        dir.str("other.log"));
    (void)wait_for_url(dir.str("other-url"));
  }
  auto diagnose = [&](const std::string& stream_lines, const std::string& system_store) {
    std::ofstream(dir.str("c.toml")) << "[stream]\nbase_url = \"" << url << "\"\n" << stream_lines
                                     << "[metrics]\nenabled = false\n[[rules]]\nvalue = \"cat\"\n";
    std::vector<std::pair<std::string, std::string>> env{{"X_BEARER_TOKEN", "tok"}, {"SSL_CERT_FILE", system_store}};
    return run_to_end({bin("spillway"), "diagnose", "--offline", "--config", dir.str("c.toml")}, dir.str("cli.log"),
                      env);
  };
  const std::string ca = "ca_file = \"" + dir.str("ca.pem") + "\"\n";
  const std::string other = "ca_file = \"" + dir.str("other.pem") + "\"\n";
  const std::string only = "trust_system_roots = false\n";

  SECTION("the system store is consulted by default, ca_file or not") {
    const auto r = diagnose(other, dir.str("ca.pem"));
    INFO(r.out);
    CHECK(has_text(r.out, "[ok] stream_connect"));
  }
  SECTION("trust_system_roots = false ignores the system store") {
    const auto r = diagnose(other + only, dir.str("ca.pem"));
    INFO(r.out);
    CHECK(r.code == 1);
    CHECK(has_text(r.out, "TLS handshake with 127.0.0.1"));
    CHECK_FALSE(has_text(r.out, "[ok] stream_connect"));
  }
  SECTION("trust_system_roots = false trusts ca_file") {
    const auto r = diagnose(ca + only, dir.str("other.pem"));
    INFO(r.out);
    CHECK(has_text(r.out, "[ok] stream_connect"));
  }
  SECTION("trust_system_roots = false without ca_file is a configuration error") {
    const auto r = diagnose(only, dir.str("ca.pem"));
    INFO(r.out);
    CHECK(r.code == 2);
    CHECK(has_text(r.out, "stream.trust_system_roots"));
    CHECK(has_text(r.out, "no certificate authority would be trusted"));
  }
}
