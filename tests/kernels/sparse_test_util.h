#pragma once
// Random pruned weights and shared pools for the sparse kernel tests.
#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/activation.h"
#include "kernels/gemm/sgemm.h"
#include "random_activation.h"

namespace sinter::testing {

// Pools are reused across cases: starting threads per case would dominate the run time.
inline ThreadPool* sparse_test_pool(int threads) {
  static ThreadPool one(1), two(2);
  return threads == 1 ? &one : &two;
}

inline std::vector<float> random_floats(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// Uniform values in [-1, 1] with each one kept with probability `density`, else zero.
inline std::vector<float> random_sparse(std::mt19937& rng, int64_t n, double density) {
  std::bernoulli_distribution keep(density);
  std::vector<float> v = random_floats(rng, n);
  for (auto& x : v)
    if (!keep(rng)) x = 0.0f;
  return v;
}

// Weights [M, taps] pruned in blocks of `filters` consecutive filters at one tap (sinter prune
// --scheme block:B), each block kept with probability `density`.
inline std::vector<float> random_block_sparse(std::mt19937& rng, int64_t M, int64_t taps,
                                              int64_t filters, double density) {
  auto w = random_floats(rng, M * taps);
  std::bernoulli_distribution keep(density);
  for (int64_t r = 0; r * filters < M; ++r)
    for (int64_t j = 0; j < taps; ++j)
      if (!keep(rng))
        for (int64_t m = r * filters; m < std::min(M, (r + 1) * filters); ++m)
          w[m * taps + j] = 0.0f;
  return w;
}

// Pattern-pruned 3x3 weights [kernels, 3, 3]: each kernel kept with probability `connectivity`,
// a kept one holding 4 nonzero taps at random positions, or (a `partial` share of them) 1 to 4.
inline std::vector<float> random_pattern_weights(std::mt19937& rng, int64_t kernels,
                                                 double connectivity, double partial = 0.25) {
  std::bernoulli_distribution keep(connectivity), fewer(partial);
  std::vector<float> w(static_cast<size_t>(kernels * 9), 0.0f);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  for (int64_t k = 0; k < kernels; ++k) {
    if (!keep(rng)) continue;
    int taps[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    std::shuffle(taps, taps + 9, rng);
    const int count = fewer(rng) ? 1 + static_cast<int>(rng() % 4) : 4;
    for (int t = 0; t < count; ++t) w[k * 9 + taps[t]] = d(rng);
  }
  return w;
}

// A random epilogue for an M x N product: a bias per column or per row or both, a residual (row
// stride N + 1), an activation. It owns the vectors its pointers point into, so it is not copied.
struct RandomGemmEpilogue {
  RandomGemmEpilogue(std::mt19937& rng, int64_t M, int64_t N)
      : bias_per_row(random_floats(rng, M)),
        bias_per_col(random_floats(rng, N)),
        residual(random_floats(rng, M * (N + 1))) {
    if (rng() % 2) epi.bias_per_col = bias_per_col.data();
    if (rng() % 4 == 0) epi.bias_per_row = bias_per_row.data();
    if (rng() % 3 == 0) {
      epi.residual = residual.data();
      epi.ld_residual = N + 1;
    }
    epi.activation = random_activation(rng);
  }
  RandomGemmEpilogue(const RandomGemmEpilogue&) = delete;
  RandomGemmEpilogue& operator=(const RandomGemmEpilogue&) = delete;

  std::vector<float> bias_per_row, bias_per_col, residual;
  GemmEpilogue epi;
};

// |got - want| within a tolerance scaled by the largest reference value and the sum's length.
inline float sum_tolerance(const std::vector<float>& ref, int64_t terms) {
  float max_ref = 1.0f;
  for (float v : ref) max_ref = std::max(max_ref, std::fabs(v));
  return 1e-5f * max_ref * std::sqrt(static_cast<float>(terms + 1)) * 4.0f;
}

}  // namespace sinter::testing
