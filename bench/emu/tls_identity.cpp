#include "bench/emu/tls_identity.hpp"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <stdexcept>

namespace spillway::emu {
namespace {

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("spillway-emu: cannot create the TLS certificate (" + what +
                           "); check the OpenSSL 3 installation, or pass --tls-cert/--tls-key files");
}

std::string to_pem(X509* cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), cert) != 1) fail("PEM_write_bio_X509");
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, std::size_t(n));
}

void write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f << text;
    if (!f.flush()) throw std::runtime_error("spillway-emu: cannot write " + tmp + "; pick a writable --cert-out path");
  }
  std::filesystem::rename(tmp, path);
}

}  // namespace

TlsIdentity::TlsIdentity() : ctx_(boost::asio::ssl::context::tls_server) {
  ctx_.set_options(boost::asio::ssl::context::default_workarounds | boost::asio::ssl::context::no_sslv2 |
                   boost::asio::ssl::context::no_sslv3 | boost::asio::ssl::context::no_tlsv1 |
                   boost::asio::ssl::context::no_tlsv1_1);
}

TlsIdentity TlsIdentity::self_signed(const std::string& cert_out) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) fail("EVP_EC_gen");
  X509Ptr cert(X509_new());
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("spillway-emu"), -1, -1,
                             0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX v3;
  X509V3_set_ctx_nodb(&v3);
  X509V3_set_ctx(&v3, cert.get(), cert.get(), nullptr, nullptr, 0);
  for (auto [nid, value] : {std::pair{NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1"},
                            std::pair{NID_basic_constraints, "critical,CA:TRUE"},
                            std::pair{NID_key_usage, "critical,digitalSignature,keyCertSign"}}) {
    ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &v3, nid, value));
    if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) fail("X509V3_EXT_conf_nid");
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) fail("X509_sign");

  TlsIdentity id;
  if (SSL_CTX_use_certificate(id.ctx_.native_handle(), cert.get()) != 1 ||
      SSL_CTX_use_PrivateKey(id.ctx_.native_handle(), key.get()) != 1)
    fail("SSL_CTX_use_certificate");
  id.cert_pem_ = to_pem(cert.get());
  if (!cert_out.empty()) write_atomically(cert_out, id.cert_pem_);
  return id;
}

TlsIdentity TlsIdentity::from_files(const std::string& cert_file, const std::string& key_file) {
  TlsIdentity id;
  boost::system::error_code ec;
  id.ctx_.use_certificate_chain_file(cert_file, ec);
  if (ec)
    throw std::runtime_error("spillway-emu: cannot load --tls-cert " + cert_file + " (" + ec.message() +
                             "); pass a PEM certificate chain file");
  id.ctx_.use_private_key_file(key_file, boost::asio::ssl::context::pem, ec);
  if (ec)
    throw std::runtime_error("spillway-emu: cannot load --tls-key " + key_file + " (" + ec.message() +
                             "); pass the PEM private key matching --tls-cert");
  std::ifstream f(cert_file);
  id.cert_pem_.assign(std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>());
  return id;
}

}  // namespace spillway::emu
