#pragma once
// Random weights, brute-force references and error checks for the compression tests.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "compress/mask.h"
#include "core/error.h"
#include "core/seeded_random.h"
#include "core/tensor.h"

namespace sinter::test {

// Weights in [-1, 1), or, with `ties`, multiples of 0.25 in [-1, 1] so that equal magnitudes
// (and zeros) are common and tie-breaking gets exercised.
inline Tensor random_weights(Shape shape, uint64_t seed, bool ties) {
  Tensor w(DType::kFloat32, std::move(shape));
  std::mt19937_64 rng(mix_seed(seed, ties));
  float* x = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) {
    if (ties) {
      x[i] = 0.25f * (static_cast<float>(uniform_below(rng, 9)) - 4.0f);
    } else {
      x[i] = static_cast<float>(rng() >> 40) / static_cast<float>(1 << 23) - 1.0f;
    }
  }
  return w;
}

inline std::vector<uint8_t> flags(const Mask& m) {
  const uint8_t* k = m.values().data<uint8_t>();
  return std::vector<uint8_t>(k, k + m.numel());
}

inline std::vector<float> values_of(const Tensor& t) {
  const float* x = t.data<float>();
  return std::vector<float>(x, x + t.numel());
}

// Indices ordered by score, largest first, equal scores in index order: the tie rule every
// projection promises, written the obvious way.
inline std::vector<int64_t> order_by_score(const std::vector<double>& score) {
  std::vector<int64_t> order(score.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](int64_t a, int64_t b) { return score[a] > score[b]; });
  return order;
}

// What the projection onto a support set costs: the sum of squares of the pruned entries.
inline double pruned_energy(const Tensor& w, const std::vector<uint8_t>& keep) {
  const float* x = w.data<float>();
  double sum = 0.0;
  for (size_t i = 0; i < keep.size(); ++i)
    if (!keep[i]) sum += static_cast<double>(x[i]) * x[i];
  return sum;
}

// The smallest pruned energy over every 0/1 mask that `feasible` accepts: the distance to the
// constraint set by exhaustion. Only for tensors of at most 16 elements.
inline double min_pruned_energy(const Tensor& w,
                                const std::function<bool(const std::vector<uint8_t>&)>& feasible) {
  const auto n = static_cast<size_t>(w.numel());
  EXPECT_LE(n, 16u);
  double best = std::numeric_limits<double>::infinity();
  std::vector<uint8_t> keep(n);
  for (uint32_t bits = 0; bits < (1u << n); ++bits) {
    for (size_t i = 0; i < n; ++i) keep[i] = (bits >> i) & 1u;
    if (feasible(keep)) best = std::min(best, pruned_energy(w, keep));
  }
  return best;
}

// Expects `fn` to throw exactly `E` (InputError unless told) with every fragment in its message.
template <class E = InputError, class F>
void expect_error(F&& fn, const std::vector<std::string>& fragments) {
  try {
    fn();
    ADD_FAILURE() << "expected an error mentioning " << fragments.front();
  } catch (const E& e) {
    const std::string msg = e.what();
    for (const std::string& f : fragments) EXPECT_NE(msg.find(f), std::string::npos) << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong error type: " << e.what();
  }
}

}  // namespace sinter::test
