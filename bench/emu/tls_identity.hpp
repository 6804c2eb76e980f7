#pragma once
// TLS server identity for the emulator: either a self-signed certificate made at start with the
// OpenSSL 3 API (EC P-256, SAN DNS:localhost and IP:127.0.0.1, valid 30 days), or a cert/key pair
// loaded from PEM files. Start-up only, so failures throw std::runtime_error with the fix.
// Owns the configured boost::asio::ssl::context.

#include <boost/asio/ssl/context.hpp>
#include <string>

namespace spillway::emu {

class TlsIdentity {
 public:
  // Self-signed; when cert_out is not empty, the certificate is written there as PEM (atomically)
  // so a client can trust it.
  static TlsIdentity self_signed(const std::string& cert_out);
  static TlsIdentity from_files(const std::string& cert_file, const std::string& key_file);

  boost::asio::ssl::context& context() { return ctx_; }
  const std::string& cert_pem() const { return cert_pem_; }

 private:
  TlsIdentity();
  boost::asio::ssl::context ctx_;
  std::string cert_pem_;
};

}  // namespace spillway::emu
