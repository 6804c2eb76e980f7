#include "bench/emu/connection_log.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <stdexcept>

namespace spillway::emu {

void ConnectionLog::open(const std::string& path) {
  file_.reset(std::fopen(path.c_str(), "a"));
  if (!file_) throw std::runtime_error("spillway-emu: cannot open --log " + path + "; pick a writable path");
}

void ConnectionLog::write(const ConnectionRecord& r) {
  if (!file_) return;
  rapidjson::StringBuffer sb;
  rapidjson::Writer<rapidjson::StringBuffer> w(sb);
  w.StartObject();
  w.Key("connection"), w.Uint64(r.connection);
  w.Key("time_ms"), w.Int64(r.start_unix_ms);
  w.Key("end_ms"), w.Int64(r.end_unix_ms);
  w.Key("path"), w.String(r.path.c_str(), rapidjson::SizeType(r.path.size()));
  w.Key("query"), w.String(r.query.c_str(), rapidjson::SizeType(r.query.size()));
  w.Key("status"), w.Int(r.status);
  w.Key("outcome"), w.String(r.outcome.c_str(), rapidjson::SizeType(r.outcome.size()));
  w.Key("posts_sent"), w.Uint64(r.posts);
  w.Key("backfilled"), w.Uint64(r.backfilled);
  if (r.lost > 0) w.Key("posts_lost"), w.Uint64(r.lost);
  w.Key("ended"), w.String(r.ended.c_str(), rapidjson::SizeType(r.ended.size()));
  w.EndObject();
  std::fwrite(sb.GetString(), 1, sb.GetSize(), file_.get());
  std::fputc('\n', file_.get());
  std::fflush(file_.get());  // one line per connection: cheap, and tests read it while we run
}

}  // namespace spillway::emu
