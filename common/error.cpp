#include "common/error.hpp"

namespace spillway::common {
namespace {

class category_impl final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "spillway"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::config: return "configuration or usage error";
      case errc::network: return "network error";
      case errc::protocol: return "protocol error";
      case errc::refused: return "access refused";
      case errc::rejected: return "request rejected";
      case errc::rate_limited: return "rate limited";
      case errc::storage: return "storage error";
      case errc::timeout: return "deadline passed";
      case errc::bad_message: return "bad message";
    }
    return "unknown spillway error";
  }
};

}  // namespace

const boost::system::error_category& error_category() noexcept {
  static const category_impl instance;
  return instance;
}

exit_code exit_code_for(const error& e) noexcept {
  if (e.code.category() != error_category()) return exit_code::runtime;
  switch (static_cast<errc>(e.code.value())) {
    case errc::config:
    case errc::rejected: return exit_code::config;
    case errc::refused: return exit_code::refused;
    case errc::network:
    case errc::protocol:
    case errc::rate_limited:
    case errc::storage:
    case errc::timeout:
    case errc::bad_message: break;
  }
  return exit_code::runtime;
}

}  // namespace spillway::common
