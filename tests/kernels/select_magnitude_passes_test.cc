// The magnitude passes of a fitted sparsification threshold (each ISA tier with code of its own,
// and the dispatcher) against their plain-loop twins: lengths around the vector widths,
// heavy-tailed values with ties, zeros, infinities and NaN, thresholds that are not floats, and
// the in-place compaction a multi-stage fit does.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "family_tiers.h"
#include "kernels/select/magnitude_passes.h"

namespace sinter::kernels {
namespace {

// Gradient-like values: Laplace magnitudes with random signs, some repeated and some zero.
std::vector<float> gradient_like(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::exponential_distribution<float> magnitude(50.0f);
  std::bernoulli_distribution negative(0.5), repeat(0.05), zero(0.02);
  std::vector<float> v(static_cast<size_t>(n));
  for (size_t i = 0; i < v.size(); ++i) {
    const float m = zero(gen) ? 0.0f : magnitude(gen);
    v[i] = i > 0 && repeat(gen) ? v[i - 1] : negative(gen) ? -m : m;
  }
  return v;
}

const int64_t kLengths[] = {0, 1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 100, 1000, 4099, 65537};

void expect_near_sum(double got, double want, int64_t n) {
  EXPECT_NEAR(got, want, 1e-12 * static_cast<double>(n + 1) * (std::fabs(want) + 1));
}

TEST(MagnitudePasses, MatchReferenceOverLengthsAndThresholds) {
  for (int64_t n : kLengths) {
    SCOPED_TRACE(n);
    const std::vector<float> x = gradient_like(n, static_cast<uint32_t>(n + 1));
    const double mean = sum_of_magnitudes_reference(x.data(), n) / static_cast<double>(n + 1);
    // A threshold that is a float, one between floats, one on a repeated value, and the extremes.
    std::vector<double> thresholds = {0.0, mean, mean * 3.1 + 1e-9, -1.0, 1e30};
    if (n > 0) thresholds.push_back(std::fabs(x[static_cast<size_t>(n / 2)]));
    for (Isa isa : family_tiers("magnitude_passes", magnitude_kernels())) {
      SCOPED_TRACE(isa_name(isa));
      const MagnitudeKernels& k = magnitude_kernels().at(isa);
      expect_near_sum(k.sum_of_magnitudes(x.data(), n), sum_of_magnitudes_reference(x.data(), n),
                      n);
      for (double t : thresholds) {
        SCOPED_TRACE(t);
        std::vector<float> want(static_cast<size_t>(n)), got(want.size());
        const int64_t kept = keep_above_reference(x.data(), n, t, want.data());
        want.resize(static_cast<size_t>(kept));
        ASSERT_EQ(k.keep_above(x.data(), n, float_below(t), got.data()), kept);
        got.resize(static_cast<size_t>(kept));
        EXPECT_EQ(got, want);
        EXPECT_EQ(k.count_above(x.data(), n, float_below(t)), kept);
        std::vector<uint32_t> want_indices, got_indices(static_cast<size_t>(n));
        indices_above_reference(x.data(), n, t, want_indices);
        got_indices.resize(
            static_cast<size_t>(k.indices_above(x.data(), n, float_below(t), got_indices.data())));
        EXPECT_EQ(got_indices, want_indices);
        const ExcessSums w = excess_sums_reference(want.data(), kept, t),
                         g = k.excess_sums(want.data(), kept, t);
        expect_near_sum(g.sum, w.sum, kept);
        expect_near_sum(g.squares, w.squares, kept);
      }
    }
  }
}

TEST(MagnitudePasses, SpecialValues) {
  const float inf = std::numeric_limits<float>::infinity(), nan = std::nanf("");
  std::vector<float> x = {0.0f, -0.0f, 1e-40f, -2.0f, inf, -inf, nan, 3.0f, -nan, 0.5f};
  for (int i = 0; i < 3; ++i) x.insert(x.end(), x.begin(), x.begin() + 10);  // past 16 and 32
  const auto n = static_cast<int64_t>(x.size());
  std::vector<uint32_t> want, got(x.size());
  indices_above_reference(x.data(), n, 1.0, want);
  got.resize(static_cast<size_t>(indices_of_magnitudes_above(x.data(), n, 1.0, got.data())));
  EXPECT_EQ(got, want);  // NaN is never above: the caller checks the threshold is finite
  EXPECT_EQ(count_magnitudes_above(x.data(), n, 1.0), 16);
  EXPECT_TRUE(std::isnan(sum_of_magnitudes(x.data(), n)));
}

TEST(MagnitudePasses, FloatBelowSplitsFloatsAsTheDoubleDoes) {
  for (double t : {0.0, 1.0, 0.1, 1.0 / 3, 1e-45, 3.5e38, 1e300, -0.1}) {
    SCOPED_TRACE(t);
    const float f = float_below(t);
    EXPECT_LE(static_cast<double>(f), t);
    const float up = std::nextafter(f, std::numeric_limits<float>::infinity());
    EXPECT_GT(static_cast<double>(up), t);
  }
}

TEST(MagnitudePasses, CompactsInPlace) {
  const int64_t n = 4099;
  std::vector<float> x = gradient_like(n, 7), want(static_cast<size_t>(n));
  const double t = sum_of_magnitudes_reference(x.data(), n) / n;
  const int64_t kept = keep_above_reference(x.data(), n, t, want.data());
  want.resize(static_cast<size_t>(kept));
  for (Isa isa : family_tiers("magnitude_passes", magnitude_kernels())) {
    SCOPED_TRACE(isa_name(isa));
    std::vector<float> y = x;
    ASSERT_EQ(magnitude_kernels().at(isa).keep_above(y.data(), n, float_below(t), y.data()), kept);
    y.resize(static_cast<size_t>(kept));
    EXPECT_EQ(y, want);
  }
}

}  // namespace
}  // namespace sinter::kernels
