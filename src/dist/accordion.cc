#include "dist/accordion.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace sinter {

namespace {

const char kControllerState[] = "accordion/controller";

}  // namespace

AccordionCompressor::AccordionCompressor(std::string name, const AccordionOptions& options,
                                         uint64_t seed)
    : name_(std::move(name)), options_(options) {
  if (options_.base == AccordionBase::kTopK) {
    topk_ = std::make_unique<TopKCompressor>(name_, options_.low_density);
  } else {
    powersgd_ = std::make_unique<PowerSgdCompressor>(name_, options_.low_rank, seed);
  }
}

const Compressor& AccordionCompressor::inner() const {
  if (topk_) return *topk_;
  return *powersgd_;
}

void AccordionCompressor::apply_levels() {
  if (topk_) {
    std::vector<double> densities;
    for (bool c : critical_) densities.push_back(c ? options_.low_density : options_.high_density);
    topk_->set_densities(std::move(densities));
  } else {
    std::vector<int> ranks;
    for (bool c : critical_) ranks.push_back(c ? options_.low_rank : options_.high_rank);
    powersgd_->set_ranks(std::move(ranks));
  }
}

void AccordionCompressor::reduce(Communicator& comm, std::vector<GradientView>& gradients,
                                 int64_t step) {
  sums_.bind(gradients);
  if (critical_.empty()) {
    critical_.assign(gradients.size(), true);
    previous_norms_.assign(gradients.size(), -1.0);
  }
  if (critical_.size() != gradients.size())
    throw InputError(cat(name_, ": the state holds ", critical_.size(), " tensors; the model has ",
                         gradients.size(), " gradients"));
  apply_levels();
  if (topk_) {
    topk_->reduce(comm, gradients, step);
  } else {
    powersgd_->reduce(comm, gradients, step);
  }
  for (size_t t = 0; t < gradients.size(); ++t) sums_.accumulate(t, gradients[t]);
  if (++steps_in_interval_ == options_.interval_steps) decide();
}

void AccordionCompressor::decide() {
  for (size_t t = 0; t < critical_.size(); ++t) {
    float* sum = sums_.values(t);
    const auto n = static_cast<int64_t>(sums_.size(t));
    double squares = 0;
    for (int64_t i = 0; i < n; ++i) squares += static_cast<double>(sum[i]) * sum[i];
    const double norm = std::sqrt(squares), previous = previous_norms_[t];
    if (previous >= 0) {
      const double change = previous > 0 ? std::fabs(norm - previous) / previous
                            : norm > 0   ? std::numeric_limits<double>::infinity()
                                         : 0.0;
      critical_[t] = change >= options_.eta;
    }
    previous_norms_[t] = norm;
    std::fill(sum, sum + n, 0.0f);
  }
  steps_in_interval_ = 0;
}

NamedTensors AccordionCompressor::state() const {
  NamedTensors s = topk_ ? topk_->state() : powersgd_->state();
  sums_.append_state(s);
  // The interval's progress, then per tensor the previous norm and the regime.
  std::vector<double> controller{static_cast<double>(steps_in_interval_)};
  for (size_t t = 0; t < critical_.size(); ++t) {
    controller.push_back(previous_norms_[t]);
    controller.push_back(critical_[t] ? 1.0 : 0.0);
  }
  s.emplace_back(kControllerState, Tensor::from_vector<double>(
                                       {static_cast<int64_t>(controller.size())}, controller));
  return s;
}

void AccordionCompressor::load_state(const NamedTensors& state) {
  if (topk_) {
    topk_->load_state(state);
  } else {
    powersgd_->load_state(state);
  }
  sums_.load_state(state);
  critical_.clear();
  previous_norms_.clear();
  steps_in_interval_ = 0;
  for (const auto& [name, tensor] : state) {
    if (name != kControllerState) continue;
    if (tensor.dtype() != DType::kFloat64 || tensor.numel() % 2 != 1)
      throw InputError(
          cat("compressor state '", name, "' must hold 1 + 2 x tensors float64 values"));
    const double* v = tensor.data<double>();
    steps_in_interval_ = static_cast<int64_t>(v[0]);
    for (int64_t i = 1; i < tensor.numel(); i += 2) {
      previous_norms_.push_back(v[i]);
      critical_.push_back(v[i + 1] != 0);
    }
  }
}

}  // namespace sinter
