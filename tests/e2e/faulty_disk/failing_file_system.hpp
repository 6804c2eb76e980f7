#pragma once
// failing_file_system: a RocksDB FileSystem (test builds only) that passes everything to the real one
// until `budget` bytes have been appended in total, then fails every further append with an I/O error —
// a disk that breaks mid-stream, without prlimit and without filling a real disk.
//
// Owns the byte count (shared by every file it opened). Thread: any (RocksDB appends from the writer
// and its background threads; the count is atomic). Must outlive: the DB opened on it (it is held by the
// Env made from it).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include <rocksdb/file_system.h>

namespace spillway::testing {

class failing_file_system final : public rocksdb::FileSystemWrapper {
 public:
  explicit failing_file_system(std::uint64_t budget)
      : rocksdb::FileSystemWrapper(rocksdb::FileSystem::Default()), budget_(budget) {}

  static const char* kClassName() { return "SpillwayFailingFileSystem"; }
  const char* Name() const override { return kClassName(); }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& options,
                                    std::unique_ptr<rocksdb::FSWritableFile>* out,
                                    rocksdb::IODebugContext* dbg) override {
    auto st = target()->NewWritableFile(name, options, out, dbg);
    if (st.ok()) *out = std::make_unique<file>(std::move(*out), *this);
    return st;
  }
  rocksdb::IOStatus ReuseWritableFile(const std::string& name, const std::string& old_name,
                                      const rocksdb::FileOptions& options,
                                      std::unique_ptr<rocksdb::FSWritableFile>* out,
                                      rocksdb::IODebugContext* dbg) override {
    auto st = target()->ReuseWritableFile(name, old_name, options, out, dbg);
    if (st.ok()) *out = std::make_unique<file>(std::move(*out), *this);
    return st;
  }

  [[nodiscard]] std::uint64_t appended() const noexcept { return appended_.load(); }

 private:
  // True when `n` more bytes fit in the budget (and counts them).
  bool take(std::uint64_t n) {
    const auto before = appended_.fetch_add(n);
    return before + n <= budget_;
  }
  rocksdb::IOStatus refuse() const {
    return rocksdb::IOStatus::IOError("injected write error (tests/e2e/faulty_disk): the disk broke after " +
                                      std::to_string(budget_) + " bytes");
  }

  class file final : public rocksdb::FSWritableFileOwnerWrapper {
   public:
    file(std::unique_ptr<rocksdb::FSWritableFile> target, failing_file_system& fs)
        : rocksdb::FSWritableFileOwnerWrapper(std::move(target)), fs_(fs) {}
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             rocksdb::IODebugContext* dbg) override {
      if (!fs_.take(data.size())) return fs_.refuse();
      return target()->Append(data, options, dbg);
    }
    rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& options,
                             const rocksdb::DataVerificationInfo& info, rocksdb::IODebugContext* dbg) override {
      if (!fs_.take(data.size())) return fs_.refuse();
      return target()->Append(data, options, info, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                       const rocksdb::IOOptions& options, rocksdb::IODebugContext* dbg) override {
      if (!fs_.take(data.size())) return fs_.refuse();
      return target()->PositionedAppend(data, offset, options, dbg);
    }
    rocksdb::IOStatus PositionedAppend(const rocksdb::Slice& data, std::uint64_t offset,
                                       const rocksdb::IOOptions& options, const rocksdb::DataVerificationInfo& info,
                                       rocksdb::IODebugContext* dbg) override {
      if (!fs_.take(data.size())) return fs_.refuse();
      return target()->PositionedAppend(data, offset, options, info, dbg);
    }

   private:
    failing_file_system& fs_;
  };

  std::uint64_t budget_;
  std::atomic<std::uint64_t> appended_{0};
};

}  // namespace spillway::testing
