#include "common/thread_priority.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

namespace spillway::common {

int this_thread_nice() noexcept {
  errno = 0;
  const int nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));  // -1 is also a valid nice value
  return errno == 0 ? nice : 0;
}

bool lower_this_thread_to_background() noexcept {
  const int target = background_nice(this_thread_nice());
  // PRIO_PROCESS with a thread id: on Linux, nice is an attribute of the thread, not the process.
  return setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), target) == 0 && this_thread_nice() == target;
}

}  // namespace spillway::common
