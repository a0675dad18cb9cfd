// Relu's gradient kernel (each ISA tier with code of its own, and the dispatcher) against its
// plain-loop twin: lengths around the vector width, zeros and special values in y, in place, and
// split over a pool.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "family_tiers.h"
#include "kernels/eltwise/relu_backward.h"

namespace sinter::kernels {
namespace {

std::vector<float> random_values(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (float& x : v) x = dist(gen);
  return v;
}

// Bitwise equal, NaN matching NaN.
void expect_same(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    if (std::isnan(want[i])) {
      EXPECT_TRUE(std::isnan(got[i])) << "at " << i;
    } else {
      EXPECT_EQ(got[i], want[i]) << "at " << i;
    }
  }
}

TEST(ReluBackward, MatchesReferenceOverLengthsAndThreads) {
  ThreadPool pool(2);
  for (int64_t n : {0, 1, 3, 7, 8, 15, 16, 17, 33, 1000, 40000, 100003}) {
    SCOPED_TRACE(n);
    std::vector<float> dy = random_values(n, 1), y = random_values(n, 2);
    for (int64_t i = 0; i < n; i += 5) y[i] = 0.0f;  // Relu's output is 0 on half its domain
    std::vector<float> want(n), got(n), threaded(n);
    relu_backward_reference(dy.data(), y.data(), want.data(), n);
    for (Isa isa : family_tiers("relu_backward", relu_backward_kernels())) {
      SCOPED_TRACE(isa_name(isa));
      std::fill(got.begin(), got.end(), 5.0f);
      relu_backward_kernels().at(isa).relu_backward(dy.data(), y.data(), got.data(), n);
      expect_same(got, want);
    }
    relu_backward(dy.data(), y.data(), got.data(), n);
    relu_backward(dy.data(), y.data(), threaded.data(), n, &pool);
    expect_same(got, want);
    expect_same(threaded, want);
  }
}

TEST(ReluBackward, SpecialValuesAndInPlace) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  const std::vector<float> y = {0.0f, -0.0f, 1e-40f, -1e-40f, inf, -inf, nan, 2.0f, 3.0f};
  std::vector<float> dy = {1.0f, 2.0f, 3.0f, 4.0f, 5.0f, 6.0f, 7.0f, nan, -inf};
  std::vector<float> want(y.size());
  relu_backward_reference(dy.data(), y.data(), want.data(), int64_t(y.size()));
  expect_same(want, {0.0f, 0.0f, 3.0f, 0.0f, 5.0f, 0.0f, 0.0f, nan, -inf});
  relu_backward(dy.data(), y.data(), dy.data(), int64_t(y.size()));  // dx over dy
  expect_same(dy, want);
}

}  // namespace
}  // namespace sinter::kernels
