#pragma once
// Planted distributions and error checks for the quantization tests. Draws come from
// std::mt19937_64's raw output (fixed by the standard), not from std:: distributions, whose
// results differ between standard libraries.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "compress_test_util.h"
#include "core/error.h"
#include "core/tensor.h"

namespace sinter::quant_test {

// Uniform in (0, 1).
inline double uniform_open(std::mt19937_64& rng) {
  return (static_cast<double>(rng() >> 11) + 0.5) / 9007199254740992.0;
}

// Box-Muller.
inline double standard_normal(std::mt19937_64& rng) {
  const double u = uniform_open(rng), v = uniform_open(rng);
  return std::sqrt(-2.0 * std::log(u)) * std::cos(6.283185307179586 * v);
}

// Fills a float32 tensor with draw(rng).
template <class Draw>
Tensor planted(Shape shape, uint64_t seed, Draw draw) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = static_cast<float>(draw(rng));
  return t;
}

inline Tensor normal_tensor(Shape shape, uint64_t seed, double sigma = 1.0) {
  return planted(std::move(shape), seed,
                 [&](std::mt19937_64& r) { return sigma * standard_normal(r); });
}

inline Tensor uniform_tensor(Shape shape, uint64_t seed, double lo, double hi) {
  return planted(std::move(shape), seed,
                 [&](std::mt19937_64& r) { return lo + (hi - lo) * uniform_open(r); });
}

// The compress tests' shared check that fn throws E naming every fragment.
using test::expect_error;

}  // namespace sinter::quant_test
