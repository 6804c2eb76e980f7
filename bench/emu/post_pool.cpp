#include "bench/emu/post_pool.hpp"

#include <cstring>
#include <numeric>

#include "bench/emu/post_draft.hpp"

namespace spillway::emu {
namespace {

std::vector<std::uint32_t> find_all(const std::string& s, std::string_view needle) {
  std::vector<std::uint32_t> at;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + needle.size()))
    at.push_back(static_cast<std::uint32_t>(p));
  return at;
}

}  // namespace

PostTemplate make_template(std::string bytes) {
  PostTemplate t;
  t.bytes = std::move(bytes);
  t.id_offsets = find_all(t.bytes, kIdPlaceholder);
  t.created_at_offsets = find_all(t.bytes, kCreatedAtPlaceholder);
  return t;
}

void append_patched(const PostTemplate& t, std::uint64_t id, const char* created_at, std::string& out) {
  const std::size_t base = out.size();
  out.append(t.bytes);
  char* p = out.data() + base;
  char digits[kIdWidth];
  format_id(id, digits);
  for (auto off : t.id_offsets) std::memcpy(p + off, digits, kIdWidth);
  for (auto off : t.created_at_offsets) std::memcpy(p + off, created_at, kCreatedAtWidth);
}

PostPool::PostPool(std::uint64_t seed, std::size_t size, std::int64_t reference_ms) {
  Rng rng(seed ^ 0x706F6F6CULL);
  templates_.reserve(size);
  PostDraftMaker maker(reference_ms);
  for (std::size_t i = 0; i < size; ++i) templates_.push_back(make_template(maker.make(rng)));
}

double PostPool::mean_bytes() const {
  if (templates_.empty()) return 0;
  const double total = std::accumulate(templates_.begin(), templates_.end(), 0.0,
                                       [](double a, const PostTemplate& t) { return a + double(t.bytes.size()); });
  return total / double(templates_.size());
}

void PostPool::render(std::size_t i, std::uint64_t id, const char* created_at, std::string& out) const {
  append_patched(templates_[i], id, created_at, out);
  out.append("\r\n", 2);
}

}  // namespace spillway::emu
