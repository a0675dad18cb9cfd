// Softmax / LogSoftmax over rows: every ISA tier's rows and the dispatcher (1 and 2 threads)
// against the double-accumulating reference. Tolerance: 2e-6 relative + 1e-30 absolute for softmax
// (exp is a ~1 ulp polynomial, the sum is in float), 2e-6 relative + 2e-6 absolute for log-softmax.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "family_tiers.h"
#include "kernels/softmax/softmax.h"

namespace sinter::kernels {
namespace {

std::vector<Isa> tiers() { return family_tiers("softmax", softmax_kernels()); }

bool close(float got, float want, double rel, double abs) {
  if (std::isnan(want)) return std::isnan(got);
  return std::fabs(double(got) - double(want)) <= rel * std::fabs(double(want)) + abs;
}

TEST(Softmax, MatchesReference) {
  std::mt19937 rng(9);
  ThreadPool pool1(1), pool2(2);
  for (auto [rows, cols] : std::vector<std::pair<int64_t, int64_t>>{{1, 1},
                                                                    {1, 7},
                                                                    {3, 8},
                                                                    {5, 9},
                                                                    {2, 17},
                                                                    {4, 1000},
                                                                    {1, 1001},
                                                                    {64, 1000},
                                                                    {300, 129},
                                                                    {1000, 10},
                                                                    {3, 15},
                                                                    {3, 16},
                                                                    {3, 31},
                                                                    {3, 32},
                                                                    {3, 33},
                                                                    {2, 47}}) {
    for (float scale : {1.0f, 30.0f}) {
      std::uniform_real_distribution<float> dist(-scale, scale);
      std::vector<float> x(rows * cols);
      for (auto& v : x) v = dist(rng);
      std::vector<float> want(x.size()), got(x.size()), lwant(x.size());
      softmax_reference(x.data(), want.data(), rows, cols);
      log_softmax_reference(x.data(), lwant.data(), rows, cols);
      // Each tier's rows, then the dispatcher serial, on 1 thread and on 2.
      const std::vector<Isa> isas = tiers();
      for (size_t variant = 0; variant < isas.size() + 3; ++variant) {
        const size_t d = variant - isas.size();
        ThreadPool* pool = variant < isas.size() || d == 0 ? nullptr : d == 1 ? &pool1 : &pool2;
        const std::string what =
            variant < isas.size() ? isa_name(isas[variant]) : "dispatch " + std::to_string(d);
        for (bool log : {false, true}) {
          if (variant < isas.size()) {
            const SoftmaxKernels& k = softmax_kernels().at(isas[variant]);
            (log ? k.log_softmax : k.softmax)(x.data(), got.data(), rows, cols);
          } else {
            (log ? log_softmax : softmax)(x.data(), got.data(), rows, cols, pool);
          }
          const auto& w = log ? lwant : want;
          for (size_t i = 0; i < x.size(); ++i)
            ASSERT_TRUE(close(got[i], w[i], 2e-6, log ? 2e-6 : 1e-30))
                << "rows " << rows << " cols " << cols << " log " << log << " " << what << " at "
                << i << " got " << got[i] << " want " << w[i];
        }
      }
    }
  }
}

// Rows of 9 (a tail on every tier) and 40 (whole vectors and a tail): huge values do not
// overflow, and a NaN anywhere, in the vector part or the tail, makes the whole row NaN.
TEST(Softmax, StableForLargeInputsAndNanOnEveryTier) {
  for (Isa isa : tiers()) {
    const SoftmaxKernels& k = softmax_kernels().at(isa);
    for (int64_t cols : {9, 40}) {
      SCOPED_TRACE(std::string(isa_name(isa)) + " cols " + std::to_string(cols));
      std::vector<float> x(cols, -50.0f);
      const float head[] = {1000.0f, 1000.0f, -1000.0f, 0.0f, 1e30f, 1e30f, 5.0f, 5.0f, 5.0f};
      std::copy(std::begin(head), std::end(head), x.begin());
      std::vector<float> y(x.size());
      k.softmax(x.data(), y.data(), 1, cols);
      EXPECT_NEAR(y[4], 0.5f, 1e-6);
      EXPECT_EQ(y[0], 0.0f);
      k.log_softmax(x.data(), y.data(), 1, cols);
      EXPECT_NEAR(y[4], -std::log(2.0f), 1e-6);
      for (int64_t at : {int64_t{6}, cols - 1}) {
        std::vector<float> xn = x;
        xn[at] = std::nanf("");
        k.softmax(xn.data(), y.data(), 1, cols);
        for (float v : y) EXPECT_TRUE(std::isnan(v)) << "NaN at " << at;
        k.log_softmax(xn.data(), y.data(), 1, cols);
        for (float v : y) EXPECT_TRUE(std::isnan(v)) << "NaN at " << at;
      }
    }
  }
  std::vector<float> x = {1000.0f, 1000.0f, -1000.0f, 0.0f, 1e30f, 1e30f, std::nanf(""), 5.0f};
  std::vector<float> y(x.size());
  softmax(x.data(), y.data(), 1, 8);
  for (float v : y) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace sinter::kernels
