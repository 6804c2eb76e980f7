#pragma once
// Catch2 printing for common::result, so that a failed CHECK/REQUIRE on a result shows the error's message
// (boost's own operator<< needs one for common::error, which has none). Include after catch.hpp.
#include <catch2/catch.hpp>

#include <string>

#include "common/error.hpp"

namespace Catch {

template <typename T>
struct StringMaker<boost::system::result<T, spillway::common::error>> {
  static std::string convert(const boost::system::result<T, spillway::common::error>& r) {
    return r ? std::string("{value}") : "{error: " + r.error().message + "}";
  }
};

}  // namespace Catch
