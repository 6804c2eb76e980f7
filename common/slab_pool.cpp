#include "common/slab_pool.hpp"

#include <bit>
#include <cstdlib>
#include <cstring>

namespace spillway::common {

namespace {
std::size_t ring_size_for(std::size_t max_slabs) { return std::bit_ceil(max_slabs < 2 ? 2 : max_slabs); }
}  // namespace

slab_pool::slab_pool(std::size_t slab_bytes, std::size_t max_slabs)
    : slab_bytes_(slab_bytes), max_slabs_(max_slabs), returned_(ring_size_for(max_slabs)) {
  owned_.reserve(max_slabs);
}

slab_pool::~slab_pool() {
  for (auto& s : owned_) std::free(s->data);
}

slab* slab_pool::acquire() noexcept {
  if (slab** front = returned_.front()) {
    slab* s = *front;
    returned_.pop();
    return s;
  }
  if (owned_.size() >= max_slabs_) return nullptr;
  // Allocation happens only while the pool grows to its working set; steady state reuses slabs.
  auto* bytes = static_cast<char*>(std::aligned_alloc(64, (slab_bytes_ + padding_bytes + 63) & ~std::size_t{63}));
  if (bytes == nullptr) return nullptr;
  std::memset(bytes + slab_bytes_, 0, padding_bytes);
  auto s = std::make_unique<slab>(slab{bytes, slab_bytes_});
  slab* raw = s.get();
  owned_.push_back(std::move(s));  // capacity reserved up front: no reallocation, no throw
  allocated_.store(owned_.size(), std::memory_order_relaxed);
  return raw;
}

void slab_pool::release(slab* s) noexcept {
  // Cannot fail: the ring holds max_slabs entries and no more than max_slabs slabs exist.
  [[maybe_unused]] const bool pushed = returned_.try_push(s);
}

}  // namespace spillway::common
