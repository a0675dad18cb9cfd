#pragma once
// Values a compressor keeps per gradient tensor from step to step. Mostly error feedback's
// residual: each step the gradient is added into it, the compressor sends part of the sum and
// leaves the rest here, so what is not sent now is sent later instead of lost. DGC keeps its
// velocity in one too, Accordion its sums of the reduced gradients.
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "dist/compressor.h"

namespace sinter {

class GradientMemory {
 public:
  // `kind` names the memory in checkpoints: its tensors are "<kind>/<gradient name>".
  explicit GradientMemory(std::string kind) : kind_(std::move(kind)) {}

  // Sizes the memory (zeros) for `gradients` the first time, and checks afterwards that the
  // gradients are the ones it holds: another model's state is an InputError naming the tensor.
  void bind(const std::vector<GradientView>& gradients);
  // Tensor t's values (after bind).
  float* values(size_t t) { return values_[t].data(); }
  const float* values(size_t t) const { return values_[t].data(); }
  size_t size(size_t t) const { return values_[t].size(); }
  // Adds gradient t into its memory, which then holds gradient + residual, and returns it.
  float* accumulate(size_t t, const GradientView& gradient);

  // The memory as named tensors; load_state() takes back those of this kind.
  void append_state(NamedTensors& state) const;
  void load_state(const NamedTensors& state);

 private:
  std::string kind_;
  std::vector<std::string> names_;
  std::vector<std::vector<float>> values_;
};

}  // namespace sinter
