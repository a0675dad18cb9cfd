#include "runtime/bound_inputs.h"

#include <random>

#include "core/error.h"

namespace sinter {

std::vector<BoundInput> bind_input_shapes(const Graph& g, int64_t batch, bool batch_given,
                                          std::vector<std::string>& notes) {
  std::vector<BoundInput> bound;
  for (const auto& name : g.inputs) {
    const ValueType* t = g.type_of(name);
    if (!t || !t->has_shape)
      throw InputError(cat("input '", name, "' has no declared shape, so no input can be made",
                           " for it; use `sinter run` with a .npy input"));
    BoundInput b{name, t->dtype, t->shape};
    std::vector<std::string> set;
    for (size_t d = 0; d < b.shape.size(); ++d) {
      if (b.shape[d] >= 0) continue;
      b.shape[d] = d == 0 ? batch : 1;
      set.push_back(cat("dim ", static_cast<int64_t>(d), "=", b.shape[d]));
    }
    if (!set.empty()) {
      std::string s = cat("input '", name, "' has dynamic dims: bound ");
      for (size_t i = 0; i < set.size(); ++i) s += (i ? ", " : "") + set[i];
      notes.push_back(s + " (--batch sets dim 0, other dynamic dims are 1)");
    } else if (batch_given && !b.shape.empty() && b.shape[0] != batch) {
      notes.push_back(cat("input '", name, "' has a fixed first dim ", b.shape[0], "; --batch ",
                          batch, " does not apply to it"));
    }
    bound.push_back(std::move(b));
  }
  return bound;
}

std::unordered_map<std::string, Tensor> make_inputs(const std::vector<BoundInput>& bound,
                                                    bool random) {
  std::unordered_map<std::string, Tensor> inputs;
  std::mt19937 rng(20240607);
  for (const auto& b : bound) {
    Tensor t(b.dtype, b.shape);
    if (random && b.dtype == DType::kFloat32) {
      float* p = t.data<float>();
      // From the raw 32-bit draws, so the values are the same with every standard library.
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<float>(rng() >> 8) * 0x1p-23f - 1;
    } else if (random && b.dtype == DType::kFloat64) {
      double* p = t.data<double>();
      for (int64_t i = 0; i < t.numel(); ++i) p[i] = static_cast<double>(rng() >> 8) * 0x1p-23 - 1;
    }
    inputs.emplace(b.name, std::move(t));
  }
  return inputs;
}

}  // namespace sinter
