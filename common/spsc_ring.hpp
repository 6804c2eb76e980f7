#pragma once
// spsc_ring: bounded, lock-free, single-producer / single-consumer ring buffer.
//
// Owns: a fixed array of `capacity` slots (a power of two), allocated once at construction.
// Threads: exactly one producer thread calls try_push / push_batch; exactly one consumer thread calls
// front / pop / pop_batch. size()/empty() may be read from any thread (approximate by nature).
//
// Memory ordering, written once here:
//   - The producer writes slot data, then publishes it with a release store of `head_`.
//   - The consumer reads `head_` with acquire, so every slot below it is fully constructed.
//   - The consumer destroys slot data, then frees the slots with a release store of `tail_`.
//   - The producer reads `tail_` with acquire before reusing a slot, so destruction happened-before reuse.
// Each thread caches the other side's index (`cached_tail_`, `cached_head_`) and only re-reads the
// shared atomic when the cached value says full/empty; this is what keeps cross-core traffic low.
// Indices grow monotonically (64-bit, never wrap in practice) and are masked to a slot.
//
// Each index sits on its own cache line (with its cache) so the producer and consumer never false-share;
// the static_asserts below prove the padding.
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <new>
#include <span>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace spillway::common {

// 64 on x86-64; std::hardware_destructive_interference_size warns under g++ 12 (ABI instability).
inline constexpr std::size_t cache_line_bytes = 64;

template <typename T>
class spsc_ring {
  static_assert(std::is_nothrow_move_constructible_v<T>, "ring elements must move without throwing");
  static_assert(std::is_nothrow_destructible_v<T>);

 public:
  // Throws std::invalid_argument at start-up if capacity is not a power of two >= 2.
  explicit spsc_ring(std::size_t capacity)
      : capacity_(checked(capacity)), mask_(capacity - 1), slots_(allocate(capacity)) {}
  spsc_ring(const spsc_ring&) = delete;
  spsc_ring& operator=(const spsc_ring&) = delete;

  ~spsc_ring() {
    // Destroy what the consumer never popped.
    const auto head = head_.value.load(std::memory_order_acquire);
    for (auto i = tail_.value.load(std::memory_order_relaxed); i != head; ++i) slot(i)->~T();
    ::operator delete(slots_, std::align_val_t{alignof(T)});
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  // Producer side. Returns false when full; `value` is left untouched then.
  template <typename U>
  [[nodiscard]] bool try_push(U&& value) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    const auto head = head_.value.load(std::memory_order_relaxed);
    if (head - head_.cached_other >= capacity_) {
      head_.cached_other = tail_.value.load(std::memory_order_acquire);
      if (head - head_.cached_other >= capacity_) return false;
    }
    ::new (slot(head)) T(std::forward<U>(value));
    head_.value.store(head + 1, std::memory_order_release);
    return true;
  }

  // Producer side: moves as many of `items` as fit, publishes them with one release store, and returns
  // how many were taken (a prefix of `items`).
  std::size_t push_batch(std::span<T> items) noexcept {
    const auto head = head_.value.load(std::memory_order_relaxed);
    auto free = capacity_ - (head - head_.cached_other);
    if (free < items.size()) {
      head_.cached_other = tail_.value.load(std::memory_order_acquire);
      free = capacity_ - (head - head_.cached_other);
    }
    const auto n = free < items.size() ? free : items.size();
    for (std::size_t i = 0; i < n; ++i) ::new (slot(head + i)) T(std::move(items[i]));
    if (n != 0) head_.value.store(head + n, std::memory_order_release);
    return n;
  }

  // Consumer side. nullptr when empty. The pointer stays valid until pop().
  [[nodiscard]] T* front() noexcept {
    const auto tail = tail_.value.load(std::memory_order_relaxed);
    if (tail == tail_.cached_other) {
      tail_.cached_other = head_.value.load(std::memory_order_acquire);
      if (tail == tail_.cached_other) return nullptr;
    }
    return slot(tail);
  }

  // Consumer side. Precondition: front() returned non-null.
  void pop() noexcept {
    const auto tail = tail_.value.load(std::memory_order_relaxed);
    slot(tail)->~T();
    tail_.value.store(tail + 1, std::memory_order_release);
  }

  // Consumer side: moves up to out.size() elements into `out`, frees their slots with one release store,
  // and returns how many were moved.
  std::size_t pop_batch(std::span<T> out) noexcept(std::is_nothrow_move_assignable_v<T>) {
    const auto tail = tail_.value.load(std::memory_order_relaxed);
    auto available = tail_.cached_other - tail;
    if (available < out.size()) {
      tail_.cached_other = head_.value.load(std::memory_order_acquire);
      available = tail_.cached_other - tail;
    }
    const auto n = available < out.size() ? available : out.size();
    for (std::size_t i = 0; i < n; ++i) {
      T* s = slot(tail + i);
      out[i] = std::move(*s);
      s->~T();
    }
    if (n != 0) tail_.value.store(tail + n, std::memory_order_release);
    return n;
  }

  // Approximate when called while the other thread runs; exact when both are quiescent.
  [[nodiscard]] std::size_t size() const noexcept {
    const auto head = head_.value.load(std::memory_order_acquire);
    const auto tail = tail_.value.load(std::memory_order_acquire);
    return static_cast<std::size_t>(head - tail);
  }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }

 private:
  struct alignas(cache_line_bytes) index {
    std::atomic<std::uint64_t> value{0};
    std::uint64_t cached_other{0};  // the owning thread's last view of the opposite index
    char pad[cache_line_bytes - sizeof(std::atomic<std::uint64_t>) - sizeof(std::uint64_t)];
  };
  static_assert(sizeof(index) == cache_line_bytes, "each index must fill exactly one cache line");
  static_assert(alignof(index) == cache_line_bytes);

  static std::size_t checked(std::size_t capacity) {
    if (capacity < 2 || (capacity & (capacity - 1)) != 0) {
      throw std::invalid_argument("spsc_ring capacity must be a power of two >= 2");
    }
    return capacity;
  }
  static T* allocate(std::size_t capacity) {
    return static_cast<T*>(::operator new(sizeof(T) * capacity, std::align_val_t{alignof(T)}));
  }
  T* slot(std::uint64_t i) const noexcept { return slots_ + (i & mask_); }

  const std::size_t capacity_;
  const std::uint64_t mask_;
  T* const slots_;
  index head_;  // written by the producer
  index tail_;  // written by the consumer
};

}  // namespace spillway::common
