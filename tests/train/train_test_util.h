#pragma once
// Parameters that own their tensors, for optimizer tests.
#include <deque>
#include <string>
#include <vector>

#include "core/tensor.h"
#include "train/optimizer.h"

namespace sinter::test {

struct OwnedParams {
  std::deque<Tensor> values, grads;  // deque: pointers stay valid as entries are added
  std::vector<Parameter> params;
  void add(const std::string& name, const std::vector<float>& v) {
    values.push_back(Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v));
    grads.push_back(Tensor(DType::kFloat32, {static_cast<int64_t>(v.size())}));
    params.push_back({name, &values.back(), &grads.back()});
  }
  void set_grad(size_t p, const std::vector<float>& g) {
    for (size_t i = 0; i < g.size(); ++i) grads[p].data<float>()[i] = g[i];
  }
  float value(size_t p, size_t i) const { return values[p].data<float>()[i]; }
};

// A deterministic gradient for step t, element i (mixed signs and magnitudes).
inline float grad_at(int t, size_t p, size_t i) {
  return 0.3f * static_cast<float>(t + 1) - 0.7f * static_cast<float>(i) +
         0.11f * static_cast<float>(p) * (t % 2 == 0 ? 1.0f : -1.0f);
}

}  // namespace sinter::test
