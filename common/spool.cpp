#include "common/spool.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "common/clock.hpp"
#include "common/spool_format.hpp"

namespace spillway::common {

namespace {
// One drain chunk: large enough that a pread and a RocksDB commit are amortised over thousands of lines.
constexpr std::size_t min_chunk_bytes = 4 << 20;
// One staging slot; the reader also hands what it staged to the writer once per network read.
constexpr std::size_t min_slot_bytes = 1 << 20;
// How long the reader sleeps between looks when it waits for the writer thread (every slot full, or
// wait_written()): the writer is then in a write(2) that takes milliseconds.
constexpr auto writer_poll = std::chrono::microseconds(100);

// pread until `len` bytes or end of file; -1 on error (errno set).
ssize_t read_fully(int fd, char* out, std::size_t len, std::uint64_t at) noexcept {
  std::size_t got = 0;
  while (got < len) {
    const auto n = ::pread(fd, out + got, len - got, static_cast<off_t>(at + got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return -1;
    if (n == 0) break;
    got += static_cast<std::size_t>(n);
  }
  return static_cast<ssize_t>(got);
}
}  // namespace

result<std::unique_ptr<spool>> spool::open(const std::filesystem::path& path, std::uint64_t max_bytes,
                                           std::size_t max_line_bytes, metrics_registry& metrics) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd < 0) {
    return error(errc::storage, fmt::format("cannot open the overload spool {}: {}; check that its directory exists "
                                            "and is writable, or set pipeline.spool_path",
                                            path.string(), std::strerror(errno)));
  }
  std::unique_ptr<spool> s(new spool(path, fd, max_bytes, max_line_bytes, metrics));
  // Reserved, not committed: only the slots an overload episode fills ever take memory.
  void* slots = ::mmap(nullptr, s->slot_bytes_ * s->slot_count_, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (slots == MAP_FAILED) {
    return error(errc::storage, fmt::format("cannot map {} bytes of staging for the overload spool: {}; lower "
                                            "stream.max_line_bytes or give the process more address space",
                                            s->slot_bytes_ * s->slot_count_, std::strerror(errno)));
  }
  s->slots_ = static_cast<char*>(slots);
  if (auto ok = s->recover(); !ok) return ok.error();
  s->writer_ = std::thread([w = s.get()] {
    (void)pthread_setname_np(pthread_self(), "spool-writer");
    w->writer_loop();
  });
  return s;
}

spool::spool(std::filesystem::path path, int fd, std::uint64_t max_bytes, std::size_t max_line_bytes,
             metrics_registry& metrics)
    : path_(std::move(path)),
      fd_(fd),
      max_bytes_(max_bytes),
      max_line_bytes_(max_line_bytes + 2),  // a truncated item may hold max_line_bytes + 1
      slot_bytes_(std::max(min_slot_bytes, spool_format::record_bytes(max_line_bytes_))),
      slot_count_(std::max<std::size_t>(4, staging_bytes / slot_bytes_)),
      slot_published_(new std::atomic<std::size_t>[slot_count_]),
      slot_closed_(new std::atomic<bool>[slot_count_]),
      read_buf_(std::max(min_chunk_bytes, spool_format::record_bytes(max_line_bytes_)) + slab_pool::padding_bytes),
      bytes_(metrics.gauge(metric::spool_bytes)),
      oldest_age_ms_(metrics.gauge(metric::spool_oldest_age_ms)),
      spooled_(metrics.counter(metric::spool_lines_spooled)),
      drained_(metrics.counter(metric::spool_lines_drained)) {
  read_slab_.data = read_buf_.data();
  read_slab_.capacity = read_buf_.size() - slab_pool::padding_bytes;
  for (std::size_t i = 0; i < slot_count_; ++i) {
    slot_published_[i].store(0, std::memory_order_relaxed);
    slot_closed_[i].store(false, std::memory_order_relaxed);
  }
}

spool::~spool() {
  if (writer_.joinable()) {
    // The writer finishes what was handed to it (unless its writes fail), then ends.
    stopping_.store(true, std::memory_order_release);
    handed_.fetch_add(1, std::memory_order_release);
    handed_.notify_one();
    writer_.join();
  }
  if (slots_ != nullptr) ::munmap(slots_, slot_bytes_ * slot_count_);
  ::close(fd_);
}

result<void> spool::recover() {
  // Scan whole records from the start; the first one that does not decode (cut short by a kill, or a
  // header that is not ours) ends the valid part and everything after it is dropped.
  std::uint64_t valid = 0;
  const std::size_t capacity = read_slab_.capacity;
  for (;;) {
    const auto n = read_fully(fd_, read_buf_.data(), capacity, valid);
    if (n < 0) {
      return error(errc::storage, fmt::format("cannot read the overload spool {}: {}; fix the file's permissions "
                                              "or move it away (its Posts are then re-fetched by backfill)",
                                              path_.string(), std::strerror(errno)));
    }
    std::size_t at = 0;
    while (auto h = spool_format::decode(read_buf_.data() + at, static_cast<std::size_t>(n) - at, max_line_bytes_)) {
      ++recovered_.records;
      recovered_.last_received_ms = h->received_ms;
      at += spool_format::record_bytes(h->length);
    }
    valid += at;
    // A short read was the end of the file; a full buffer with no whole record left cannot grow further.
    if (static_cast<std::size_t>(n) < capacity || at == 0) break;
  }
  struct stat st {};
  if (::fstat(fd_, &st) != 0 || ::ftruncate(fd_, static_cast<off_t>(valid)) != 0) {
    return error(errc::storage, fmt::format("cannot cut the torn tail of the overload spool {}: {}",
                                            path_.string(), std::strerror(errno)));
  }
  recovered_.bytes = valid;
  recovered_.torn_bytes = static_cast<std::uint64_t>(st.st_size) - valid;
  end_.store(valid, std::memory_order_release);
  queued_end_ = valid;
  bytes_.set(static_cast<std::int64_t>(valid));
  return {};
}

spool::append_result spool::append(std::string_view line, stream_item::kind kind, std::int64_t received_ms) noexcept {
  const auto need = spool_format::record_bytes(line.size());
  if (queued_end_ + staged_used_ + need - base_.load(std::memory_order_relaxed) > max_bytes_) return append_result::full;
  if (cur_used_ + need > slot_bytes_) {
    publish_slot();
    if (!next_slot()) return append_result::io_error;
  }
  if (staged_used_ == 0 && queued_end_ == read_.load(std::memory_order_acquire)) {
    // The first record of an empty spool is its oldest.
    oldest_age_ms_.set(std::max<std::int64_t>(0, unix_ms_now() - received_ms));
  }
  spool_format::encode(slot_data(cur_slot_) + cur_used_, line, static_cast<std::uint8_t>(kind), received_ms);
  cur_used_ += need;
  staged_used_ += need;
  ++staged_lines_;
  return append_result::ok;
}

void spool::publish_slot() noexcept {
  if (staged_used_ == 0) return;
  slot_published_[cur_slot_ % slot_count_].store(cur_used_, std::memory_order_release);
  queued_end_ += staged_used_;
  spooled_.add(static_cast<std::int64_t>(staged_lines_));
  staged_used_ = 0;
  staged_lines_ = 0;
  handed_.fetch_add(1, std::memory_order_release);
  handed_.notify_one();
}

bool spool::next_slot() noexcept {
  // The next slot is free once the writer has moved past the one slot_count_ before it.
  while (cur_slot_ + 1 - writer_slot_.load(std::memory_order_acquire) >= slot_count_) {
    if (failed_.load(std::memory_order_acquire)) return false;  // it will not move until flush() asks again
    std::this_thread::sleep_for(writer_poll);
  }
  slot_closed_[cur_slot_ % slot_count_].store(true, std::memory_order_release);
  handed_.fetch_add(1, std::memory_order_release);
  handed_.notify_one();
  ++cur_slot_;
  cur_used_ = 0;
  return true;
}

bool spool::flush() noexcept {
  publish_slot();
  if (!failed_.exchange(false, std::memory_order_acq_rel)) return true;
  // The writer's last write failed and it waits: ask it to try again (a full disk may have room now).
  handed_.fetch_add(1, std::memory_order_release);
  handed_.notify_one();
  return false;
}

bool spool::wait_written() noexcept {
  while (end_.load(std::memory_order_acquire) != queued_end_) {
    if (failed_.load(std::memory_order_acquire)) return false;
    std::this_thread::sleep_for(writer_poll);
  }
  return true;
}

void spool::writer_loop() noexcept {
  std::uint64_t slot = 0;  // = writer_slot_
  std::size_t done = 0;    // bytes of the slot written and published to the pipeline
  for (;;) {
    const auto seen = handed_.load(std::memory_order_acquire);
    const auto at = slot % slot_count_;
    // closed before published: once the slot is closed, the length loaded after it is final.
    const bool closed = slot_closed_[at].load(std::memory_order_acquire);
    const auto published = slot_published_[at].load(std::memory_order_acquire);
    if (done < published && !failed_.load(std::memory_order_acquire)) {
      if (write_out(slot_data(slot) + done, published - done)) {
        // Published lengths fall on record boundaries, so the pipeline only ever sees whole records.
        end_.store(end_.load(std::memory_order_relaxed) + (published - done), std::memory_order_release);
        done = published;
        publish_gauges();
      } else {
        failed_.store(true, std::memory_order_release);
      }
      continue;
    }
    if (closed && done == published) {
      slot_published_[at].store(0, std::memory_order_relaxed);
      slot_closed_[at].store(false, std::memory_order_relaxed);
      done = 0;
      writer_slot_.store(++slot, std::memory_order_release);  // the reader may fill it again
      continue;
    }
    if (stopping_.load(std::memory_order_acquire)) return;
    handed_.wait(seen, std::memory_order_acquire);
  }
}

bool spool::write_out(const char* data, std::size_t len) noexcept {
  std::size_t written = 0;
  while (written < len) {
    const auto n = ::write(fd_, data + written, len - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      last_errno_.store(n < 0 ? errno : ENOSPC, std::memory_order_relaxed);
      // Cut what this attempt wrote so the file still ends on a whole record; the bytes stay in their
      // slot for the retry.
      const auto published = end_.load(std::memory_order_relaxed) - base_.load(std::memory_order_acquire);
      (void)::ftruncate(fd_, static_cast<off_t>(published));
      return false;
    }
    written += static_cast<std::size_t>(n);
  }
  return true;
}

bool spool::drained() const noexcept {
  // read_ <= end_ <= queued_end_: drained means written, read back and committed.
  return staged_used_ == 0 && read_.load(std::memory_order_acquire) == queued_end_;
}

void spool::restart() noexcept {
  // The pipeline reads only below end_, and read_ == end_ here: it has nothing in flight in the file; and
  // end_ == queued_end_: the writer has nothing to write either.
  if (::ftruncate(fd_, 0) != 0) return;  // the file just keeps its old bytes; offsets stay right
  base_.store(queued_end_, std::memory_order_release);
}

std::size_t spool::pop_batch(std::span<stream_item> out) noexcept {
  if (!chunk_open_ && !read_chunk()) return 0;
  std::size_t n = 0;
  while (n < out.size() && chunk_cursor_ < chunk_used_) {
    const char* at = read_buf_.data() + chunk_cursor_;
    // Decoded once already by read_chunk(); the framing is known to be whole.
    const auto h = spool_format::decode(at, chunk_used_ - chunk_cursor_, max_line_bytes_);
    out[n++] = stream_item{static_cast<stream_item::kind>(h->kind), h->length,
                           static_cast<std::uint32_t>(chunk_cursor_ + spool_format::header_bytes), &read_slab_,
                           h->received_ms};
    chunk_cursor_ += spool_format::record_bytes(h->length);
  }
  return n;
}

bool spool::read_chunk() noexcept {
  const auto end = end_.load(std::memory_order_acquire);
  const auto pos = read_.load(std::memory_order_relaxed);  // the pipeline is the only one to store it
  if (pos == end) return false;
  // base_ was stored before any end_ past pos was published, so this load sees the base for [pos, end).
  const auto base = base_.load(std::memory_order_acquire);
  const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(end - pos, read_slab_.capacity));
  const auto n = read_fully(fd_, read_buf_.data(), want, pos - base);
  std::size_t used = 0;
  std::uint64_t lines = 0;
  std::optional<std::int64_t> oldest;
  if (n > 0) {
    while (auto h = spool_format::decode(read_buf_.data() + used, static_cast<std::size_t>(n) - used, max_line_bytes_)) {
      if (!oldest) oldest = h->received_ms;
      used += spool_format::record_bytes(h->length);
      ++lines;
    }
  }
  if (used == 0) {
    // Only written whole records are below end_: this is a damaged file or a failed read. Skip to the end
    // rather than stall the pipeline; the gap is X's to backfill.
    spdlog::critical("overload spool {}: {} bytes at offset {} cannot be read back ({}); they are skipped",
                     path_.string(), end - pos, pos - base, n < 0 ? std::strerror(errno) : "not whole records");
    read_.store(end, std::memory_order_release);
    publish_gauges();
    return false;
  }
  chunk_used_ = used;
  chunk_cursor_ = 0;
  chunk_lines_ = lines;
  chunk_open_ = true;
  oldest_age_ms_.set(std::max<std::int64_t>(0, unix_ms_now() - *oldest));
  return true;
}

void spool::release() noexcept {
  if (!chunk_open_ || chunk_cursor_ != chunk_used_) return;
  read_.store(read_.load(std::memory_order_relaxed) + chunk_used_, std::memory_order_release);
  drained_.add(static_cast<std::int64_t>(chunk_lines_));
  chunk_open_ = false;
  publish_gauges();
}

void spool::publish_gauges() noexcept {
  // (The oldest line's age is set when it is known: at its append into an empty spool, at each chunk read.)
  // Two threads set the gauge (the writer after a write, the pipeline after a release); each looks again
  // after its store, so a stale value stored last is corrected by the thread that stored it.
  const auto left_now = [&] { return end_.load(std::memory_order_acquire) - read_.load(std::memory_order_acquire); };
  for (auto left = left_now();;) {
    bytes_.set(static_cast<std::int64_t>(left));
    if (left == 0) oldest_age_ms_.set(0);
    const auto again = left_now();
    if (again == left) break;
    left = again;
  }
}

}  // namespace spillway::common
