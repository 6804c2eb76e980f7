#pragma once
// peak_rss: how much memory a piece of code made this process hold at its peak, from the kernel's own
// accounting (/proc/self/status VmHWM), for tests that assert a ceiling on what hostile input can make
// Spillway allocate.
//
// reset() first hands freed heap back to the kernel (malloc_trim), so that memory an earlier test freed
// cannot be reused unseen, then sets the high-water mark back to the current RSS (writing 5 to
// /proc/self/clear_refs, Linux 4.0+); growth() is then the peak since reset() minus the RSS at reset(). Thread: any; it measures the
// whole process, so a test measures one thing at a time.
#include <malloc.h>

#include <cstdint>
#include <fstream>
#include <string>

namespace spillway::testing {

// A field of /proc/self/status in bytes (VmRSS, VmHWM); 0 when absent.
inline std::uint64_t proc_status_bytes(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stoull(line.substr(field.size() + 1)) * 1024;  // "NNN kB"
  }
  return 0;
}

// Under AddressSanitizer freed memory sits in ASan's quarantine (256 MiB by default) instead of going back,
// and ThreadSanitizer's allocator keeps it too, so peak RSS says nothing about what the code under test holds: bounds on it are checked in the plain
// builds only (the sanitizer builds still run every other assertion).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool rss_is_meaningful = false;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif
#else
inline constexpr bool rss_is_meaningful = true;
#endif

class peak_rss {
 public:
  peak_rss() { reset(); }
  // False when the kernel refused the reset (then growth() would measure from an older peak).
  bool reset() {
    ::malloc_trim(0);
    std::ofstream out("/proc/self/clear_refs");
    out << "5";
    out.flush();
    base_ = proc_status_bytes("VmRSS");
    return static_cast<bool>(out) && proc_status_bytes("VmHWM") <= base_ + (1 << 20);
  }
  [[nodiscard]] std::uint64_t growth() const {
    const auto hwm = proc_status_bytes("VmHWM");
    return hwm > base_ ? hwm - base_ : 0;
  }
  [[nodiscard]] std::uint64_t base() const { return base_; }

 private:
  std::uint64_t base_ = 0;
};

}  // namespace spillway::testing
