#pragma once
// Uniform floats in [-1, 1) for the kernel tests' operands.
#include <cstdint>
#include <random>
#include <vector>

namespace sinter::testing {

inline std::vector<float> random_vec(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

}  // namespace sinter::testing
