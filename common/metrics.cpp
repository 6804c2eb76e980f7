#include "common/metrics.hpp"

#include <prometheus/exposer.h>
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

struct metrics_server::impl {
  std::unique_ptr<prometheus::Exposer> exposer;
};

metrics_server::metrics_server(const std::string& listen, const metrics_registry& registry) : impl_(new impl) {
  try {
    impl_->exposer = std::make_unique<prometheus::Exposer>(listen);
  } catch (const std::exception& e) {
    throw std::runtime_error("cannot serve metrics on " + listen + " (" + e.what() +
                             "): set metrics.listen to a free host:port, or metrics.enabled = false");
  }
  impl_->exposer->RegisterCollectable(registry.atomics_collectable());
  impl_->exposer->RegisterCollectable(registry.shared_prometheus_registry());
}

metrics_server::~metrics_server() = default;

}  // namespace spillway::common
