#include "common/metrics.hpp"

#include <CivetServer.h>
#include <civetweb.h>
#include <prometheus/text_serializer.h>

#include <sstream>
#include <stdexcept>

namespace spillway::common {

class metrics_registry::collectable final : public prometheus::Collectable {
 public:
  explicit collectable(const metrics_registry& owner) : owner_(owner) {}
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::lock_guard lock(owner_.mutex_);
    std::vector<prometheus::MetricFamily> out;
    out.reserve(owner_.families_.size());
    for (const auto& [name, fam] : owner_.families_) {
      prometheus::MetricFamily mf;
      mf.name = name;
      mf.help = fam.help;
      mf.type = fam.gauge ? prometheus::MetricType::Gauge : prometheus::MetricType::Counter;
      for (const auto& [labels, c] : fam.cells) {
        prometheus::ClientMetric m;
        for (const auto& [k, v] : labels) m.label.push_back({k, v});
        const auto value = static_cast<double>(c->get());
        if (fam.gauge) {
          m.gauge.value = value;
        } else {
          m.counter.value = value;
        }
        mf.metric.push_back(std::move(m));
      }
      out.push_back(std::move(mf));
    }
    return out;
  }

 private:
  const metrics_registry& owner_;
};

metrics_registry::metrics_registry()
    : prometheus_(std::make_shared<prometheus::Registry>()), collectable_(std::make_shared<collectable>(*this)) {}

metrics_registry::~metrics_registry() = default;

metric_cell& metrics_registry::counter(const std::string& name, const std::string& help,
                                       const metric_labels& labels) {
  return cell(name, help, labels, false);
}

metric_cell& metrics_registry::gauge(const std::string& name, const std::string& help,
                                     const metric_labels& labels) {
  return cell(name, help, labels, true);
}

metric_cell& metrics_registry::counter(const metric::counter_def& def, const metric_labels& labels) {
  return cell(std::string(def.name), std::string(def.help), labels, false);
}

metric_cell& metrics_registry::gauge(const metric::gauge_def& def, const metric_labels& labels) {
  return cell(std::string(def.name), std::string(def.help), labels, true);
}

metric_cell& metrics_registry::cell(const std::string& name, const std::string& help,
                                    const metric_labels& labels, bool gauge) {
  std::lock_guard lock(mutex_);
  auto& fam = families_[name];
  if (!help.empty()) fam.help = help;  // a lookup by name alone (help "") keeps the registered help
  fam.gauge = gauge;
  auto it = fam.cells.find(labels);
  if (it != fam.cells.end()) return *it->second;
  auto& c = storage_.emplace_back();
  fam.cells.emplace(labels, &c);
  return c;
}

std::string metrics_registry::render_text() const {
  auto families = collectable_->Collect();
  auto more = prometheus_->Collect();
  families.insert(families.end(), more.begin(), more.end());
  return prometheus::TextSerializer{}.Serialize(families);
}

const metric_cell* metrics_registry::find(const std::string& name, const metric_labels& labels) const {
  std::lock_guard lock(mutex_);
  const auto fam = families_.find(name);
  if (fam == families_.end()) return nullptr;
  const auto it = fam->second.cells.find(labels);
  return it == fam->second.cells.end() ? nullptr : it->second;
}

namespace {

void respond(mg_connection* conn, int status, const char* content_type, const std::string& body) {
  mg_printf(conn,
            "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\nCache-Control: no-store\r\n"
            "Connection: close\r\n\r\n",
            status, status == 200 ? "OK" : "Service Unavailable", content_type, body.size());
  mg_write(conn, body.data(), body.size());
}

class metrics_handler final : public CivetHandler {
 public:
  explicit metrics_handler(const metrics_registry& r) : registry_(r) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    respond(conn, 200, "text/plain; version=0.0.4; charset=utf-8", registry_.render_text());
    return true;
  }

 private:
  const metrics_registry& registry_;
};

class health_handler final : public CivetHandler {
 public:
  explicit health_handler(const health_registry& h) : health_(h) {}
  bool handleGet(CivetServer*, mg_connection* conn) override {
    const auto report = health_.evaluate();
    respond(conn, report.ok ? 200 : 503, "application/json", report.json);
    return true;
  }

 private:
  const health_registry& health_;
};

}  // namespace

struct metrics_server::impl {
  impl(const metrics_registry& r, const health_registry& live, const health_registry& ready)
      : metrics(r), livez(live), readyz(ready) {}
  metrics_handler metrics;
  health_handler livez;
  health_handler readyz;
  std::unique_ptr<CivetServer> server;  // last: stopped (its threads joined) before the handlers go
};

metrics_server::metrics_server(const std::string& listen, const metrics_registry& registry,
                               const health_registry& liveness, const health_registry& readiness)
    : impl_(new impl(registry, liveness, readiness)) {
  try {
    impl_->server = std::make_unique<CivetServer>(
        std::vector<std::string>{"listening_ports", listen, "num_threads", "2"});
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + " (" + e.what() +
                             "): set metrics.listen to a free host:port, or metrics.enabled = false");
  }
  impl_->server->addHandler("/metrics", impl_->metrics);
  impl_->server->addHandler("/livez", impl_->livez);
  impl_->server->addHandler("/readyz", impl_->readyz);
}

metrics_server::~metrics_server() {
  if (impl_->server) impl_->server->close();
}

int metrics_server::port() const {
  const auto ports = impl_->server->getListeningPorts();
  return ports.empty() ? 0 : ports.front();
}

}  // namespace spillway::common
