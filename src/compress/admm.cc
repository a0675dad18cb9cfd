#include "compress/admm.h"

#include <cmath>
#include <cstring>

#include "compress/masked_training.h"
#include "compress/qdq_export.h"
#include "core/error.h"

namespace sinter {

AdmmPruner::AdmmPruner(Trainer& trainer, const PrunePlan& plan, AdmmOptions options)
    : trainer_(trainer),
      plan_(plan),
      options_(options),
      params_(target_parameters(trainer, plan)),
      rho_(options.rho),
      first_step_(trainer.steps()) {
  if (!(options_.rho > 0) || !std::isfinite(options_.rho) || !(options_.rho_max > 0) ||
      !std::isfinite(options_.rho_max))
    throw InputError(cat("ADMM: rho and its cap must be positive and finite, got ", options_.rho,
                         " and ", options_.rho_max));
  if (!(options_.rho_factor >= 1) || !std::isfinite(options_.rho_factor))
    throw InputError(cat("ADMM: the rho factor must be >= 1, got ", options_.rho_factor));
  if (options_.interval < 1)
    throw InputError(cat("ADMM: the update interval must be >= 1 step, got ", options_.interval));
  for (size_t t = 0; t < params_.size(); ++t) {
    const Tensor& w = *params_[t].value;
    z_.push_back(project(t, w, plan_.project(t, w)));
    u_.emplace_back(DType::kFloat32, w.shape());
  }
  trainer_.on_gradients = [this](Trainer&) {
    for (size_t t = 0; t < params_.size(); ++t) {
      const float* w = params_[t].value->data<float>();
      const float* z = z_[t].data<float>();
      const float* u = u_[t].data<float>();
      float* g = params_[t].grad->data<float>();
      for (int64_t i = 0; i < z_[t].numel(); ++i) g[i] += rho_ * (w[i] - z[i] + u[i]);
    }
  };
  trainer_.on_update = [this](Trainer& tr) {
    if ((tr.steps() - first_step_) % options_.interval == 0) update();
  };
}

AdmmPruner::~AdmmPruner() { detach(); }

void AdmmPruner::detach() {
  trainer_.on_gradients = nullptr;
  trainer_.on_update = nullptr;
}

void AdmmPruner::update() {
  for (size_t t = 0; t < params_.size(); ++t) {
    const Tensor& w = *params_[t].value;
    const float* x = w.data<float>();
    float* u = u_[t].data<float>();
    Tensor w_plus_u(DType::kFloat32, w.shape());
    float* v = w_plus_u.data<float>();
    for (int64_t i = 0; i < w.numel(); ++i) v[i] = x[i] + u[i];
    z_[t] = project(t, w_plus_u, plan_.project(t, w_plus_u));
    const float* z = z_[t].data<float>();
    for (int64_t i = 0; i < w.numel(); ++i) u[i] += x[i] - z[i];
  }
  rho_ = std::min(rho_ * options_.rho_factor, options_.rho_max);
  ++updates_;
}

Tensor AdmmPruner::project(size_t t, const Tensor& w, const Mask& support) const {
  Tensor z = support.applied_to(w);
  if (!options_.levels) return z;
  const PruneTarget& target = plan_.targets()[t];
  return exported_weight(z, target.transposed ? 1 : 0, *options_.levels, target.weight);
}

double AdmmPruner::distance_to_set() const {
  double off = 0.0, norm = 0.0;
  for (size_t t = 0; t < params_.size(); ++t) {
    const Tensor& w = *params_[t].value;
    const Tensor z = project(t, w, plan_.project(t, w));
    const float* x = w.data<float>();
    const float* p = z.data<float>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      const double d = static_cast<double>(x[i]) - p[i];
      norm += static_cast<double>(x[i]) * x[i];
      off += d * d;
    }
  }
  return norm > 0 ? std::sqrt(off / norm) : 0.0;
}

std::vector<Mask> AdmmPruner::hard_prune() {
  detach();
  std::vector<Mask> masks;
  for (size_t t = 0; t < params_.size(); ++t) {
    Tensor& w = *params_[t].value;
    masks.push_back(plan_.project(t, w));
    const Tensor z = project(t, w, masks.back());
    std::memcpy(w.data<float>(), z.data<float>(), z.nbytes());
  }
  return masks;
}

}  // namespace sinter
