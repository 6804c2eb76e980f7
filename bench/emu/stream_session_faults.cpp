// StreamSession's fault actions (see fault_plan.hpp): kept apart from the normal streaming path.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/stream_traits.hpp>

#include "bench/emu/stream_session.hpp"
#include "bench/emu/x_responses.hpp"

namespace spillway::emu {
namespace asio = boost::asio;

namespace {
// Not JSON: an unterminated string, as a client might see from a buggy proxy or a cut buffer.
constexpr std::string_view kMalformedLine = "{\"data\":{\"id\":\"0000000000000000000\",\"text\":\"malformed line: unterminated}\r\n";
}  // namespace

template <class Stream>
asio::awaitable<bool> StreamSession<Stream>::apply_fault(const Fault& f, std::string& pending, std::string& out) {
  using A = Fault::Action;
  switch (f.action) {
    case A::stall: {
      // Nothing at all, heartbeats included: what a client's stall timer must catch.
      pace_.expires_after(std::chrono::milliseconds(f.duration_ms));
      auto [ec] = co_await pace_.async_wait(asio::as_tuple(asio::use_awaitable));
      if (ec || st_->stopping) {
        rec_.ended = "server_stopped";
        co_return false;
      }
      next_heartbeat_ = Clock::now() + heartbeat_;
      co_return true;
    }
    case A::malformed:
      pending.append(kMalformedLine);
      co_return true;
    case A::status:  // armed by FaultPlan for the next connects; nothing to do on a live stream
      co_return true;
    case A::close:
      if (f.close_mode == Fault::CloseMode::rst) {
        // SO_LINGER 0 makes close() send RST: the client sees ECONNRESET, not EOF.
        boost::system::error_code ec;
        auto& sock = boost::beast::get_lowest_layer(stream_);
        sock.set_option(asio::socket_base::linger(true, 0), ec);
        sock.close(ec);
        rec_.ended = "fault_rst";
        co_return false;
      }
      break;
    case A::disconnect:
      pending.append(disconnect_notice(f.disconnect_type));
      pending.append("\r\n");
      break;
    case A::truncate: {
      // Frame every whole line, then announce a chunk holding the next Post but send only half of it.
      const std::size_t whole = pending.size();
      if (st_->feed.take(pending, 1, SIZE_MAX, feed_now_ms()) == 1) ++rec_.posts;
      const std::size_t used = framer_.frame(std::string_view(pending).substr(0, whole), true, out);
      const std::string_view last = std::string_view(pending).substr(whole);
      if (!last.empty()) {
        ChunkFramer::append_chunk(last, out);
        out.resize(out.size() - 2 - last.size() / 2);  // drop the chunk's CRLF and half its data
      }
      const bool written = co_await write_and_consume(pending, used, out);
      if (written) dump_consumed(last.substr(0, last.size() - last.size() / 2));
      rec_.ended = "fault_truncate";
      co_await close_gracefully();
      co_return false;
    }
  }
  // close (fin/end) and disconnect: every whole line goes out first, then the body ends (disconnect,
  // end) or the socket just closes mid-body (fin).
  const std::size_t used = framer_.frame(pending, true, out);
  if (f.action == A::disconnect || f.close_mode == Fault::CloseMode::end) ChunkFramer::append_last_chunk(out);
  const bool written = co_await write_and_consume(pending, used, out);
  if (written) rec_.ended = f.action == A::disconnect ? "fault_disconnect" : "fault_close";
  co_await close_gracefully();
  co_return false;
}

template asio::awaitable<bool> PlainSession::apply_fault(const Fault&, std::string&, std::string&);
template asio::awaitable<bool> TlsSession::apply_fault(const Fault&, std::string&, std::string&);

}  // namespace spillway::emu
