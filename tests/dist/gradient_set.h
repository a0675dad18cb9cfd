#pragma once
// Gradients for the compressor tests: a few named tensors whose values each rank draws from its
// rank and the step, so every rank can compute any rank's values to check the reduction itself.
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"
#include "dist/compressor.h"

namespace sinter {

struct GradientSet {
  std::vector<std::string> names;
  std::vector<Shape> shapes;
  std::vector<std::vector<float>> values;

  void add(std::string name, Shape shape) {
    names.push_back(std::move(name));
    values.emplace_back(static_cast<size_t>(shape_numel(shape)), 0.0f);
    shapes.push_back(std::move(shape));
  }
  // Uniform in [-1, 1), from (rank, step, tensor); zeros when `active` is false.
  void fill(int rank, int64_t step, bool active = true) {
    for (size_t t = 0; t < values.size(); ++t) {
      std::mt19937 rng(static_cast<uint32_t>(1000003 * rank + 7919 * step + t + 1));
      std::uniform_real_distribution<float> u(-1.0f, 1.0f);
      for (float& v : values[t]) v = active ? u(rng) : 0.0f;
    }
  }
  std::vector<GradientView> views() {
    std::vector<GradientView> v;
    for (size_t t = 0; t < values.size(); ++t)
      v.push_back({names[t], shapes[t], values[t].data(), static_cast<int64_t>(values[t].size())});
    return v;
  }
  int64_t total() const {
    int64_t n = 0;
    for (const auto& v : values) n += static_cast<int64_t>(v.size());
    return n;
  }
};

// A convolution, a fully connected layer and their biases: matrices PowerSGD compresses,
// vectors it sends dense, tensors above and below SIDCo's fitting size.
inline GradientSet small_model() {
  GradientSet g;
  g.add("conv.weight", {8, 3, 3, 3});
  g.add("conv.bias", {8});
  g.add("fc.weight", {10, 300});
  g.add("fc.bias", {10});
  return g;
}

// The state tensor called `name`, or an empty vector.
inline std::vector<float> state_values(const Compressor& c, const std::string& name) {
  for (const auto& [n, t] : c.state())
    if (n == name) return std::vector<float>(t.data<float>(), t.data<float>() + t.numel());
  return {};
}

inline bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

}  // namespace sinter
