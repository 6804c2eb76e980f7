// line_publisher's in-band notice capture: an errors-only line with disconnect_type is kept for the
// session's end reason; a Post is never taken for one, even when its text quotes the key.
#include <catch2/catch.hpp>

#include <cstring>
#include <string>

#include "common/metrics.hpp"
#include "ingest/stream/line_publisher.hpp"

using namespace spillway;

namespace {

std::string publish(ingest::line_publisher& publisher, const std::string& body) {
  auto room = publisher.writable();
  REQUIRE(room.size() >= body.size());
  std::memcpy(room.data(), body.data(), body.size());
  publisher.commit(body.size(), 1700000000000);
  return publisher.take_notice();
}

}  // namespace

TEST_CASE("line_publisher: a notice is captured, a Post quoting disconnect_type is not", "[publisher][notice]") {
  common::metrics_registry metrics;
  common::slab_pool pool(1 << 20, 4);
  common::spsc_ring<common::stream_item> ring(64);
  ingest::line_publisher publisher(ring, pool, 8192, metrics);

  const std::string post =
      R"({"data":{"id":"1","text":"a Post about \"disconnect_type\": \"operational_disconnect\""},"matching_rules":[{"id":"5","tag":"t"}]})";
  CHECK(publish(publisher, post + "\r\n").empty());

  const std::string notice =
      R"({"errors":[{"title":"operational-disconnect","disconnect_type":"OperationalDisconnect","detail":"This stream has been disconnected for operational reasons."}]})";
  CHECK(publish(publisher, notice + "\r\n") == notice);

  // A Post with partial errors beside its data is still a Post.
  const std::string partial = R"({"data":{"id":"2","text":"x"},"errors":[{"title":"Not Found Error","disconnect_type":"x"}]})";
  CHECK(publish(publisher, partial + "\r\n").empty());

  // Both Posts and the notice reached the ring as lines, in order.
  std::size_t lines = 0;
  while (!ring.empty()) {
    if (ring.front()->what == common::stream_item::kind::line) ++lines;
    ring.pop();
  }
  CHECK(lines == 3);
}
