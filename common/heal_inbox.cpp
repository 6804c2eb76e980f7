#include "common/heal_inbox.hpp"

namespace spillway::common {

bool heal_inbox::submit(std::span<const std::string> lines, post_source source, std::int64_t received_ms) {
  if (lines.empty()) return true;
  std::unique_lock lock(mutex_);
  if (abandoned_) return false;
  buffer_.clear();
  ends_.clear();
  for (const auto& l : lines) {
    buffer_ += l;
    ends_.push_back(static_cast<std::uint32_t>(buffer_.size()));
  }
  const std::size_t used = buffer_.size();
  buffer_.append(slab_pool::padding_bytes, '\0');
  slab_ = slab{buffer_.data(), used};
  cursor_ = 0;
  source_ = source;
  received_ms_ = received_ms;
  published_.store(true, std::memory_order_release);
  done_.wait(lock, [&] { return abandoned_ || !published_.load(std::memory_order_acquire); });
  // A batch the pipeline released before an abandon is committed; one still published may not be.
  const bool committed = !published_.load(std::memory_order_acquire);
  published_.store(false, std::memory_order_release);
  return committed;
}

void heal_inbox::abandon() {
  {
    const std::lock_guard lock(mutex_);
    abandoned_ = true;
  }
  done_.notify_all();
}

std::size_t heal_inbox::pop_batch(std::span<stream_item> out) noexcept {
  if (!published_.load(std::memory_order_acquire)) return 0;
  std::size_t n = 0;
  while (n < out.size() && cursor_ < ends_.size()) {
    const std::uint32_t begin = cursor_ == 0 ? 0 : ends_[cursor_ - 1];
    out[n++] = stream_item{stream_item::kind::line, ends_[cursor_] - begin, begin, &slab_, received_ms_};
    ++cursor_;
  }
  return n;
}

void heal_inbox::release() noexcept {
  if (!published_.load(std::memory_order_acquire) || cursor_ < ends_.size()) return;
  {
    const std::lock_guard lock(mutex_);
    published_.store(false, std::memory_order_release);
  }
  done_.notify_all();
}

}  // namespace spillway::common
