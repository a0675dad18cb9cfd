// Softmax / LogSoftmax over rows: AVX2 rows and the dispatcher (1 and 2 threads) against the
// double-accumulating reference. Tolerance: 2e-6 relative + 1e-30 absolute for softmax (exp is
// a ~1 ulp polynomial, the sum is in float), 2e-6 relative + 2e-6 absolute for log-softmax.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/cpu_features.h"
#include "kernels/softmax/softmax.h"

namespace sinter::kernels {
namespace {

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
                                                                    {1000, 10}}) {
    for (float scale : {1.0f, 30.0f}) {
      std::uniform_real_distribution<float> dist(-scale, scale);
      std::vector<float> x(rows * cols);
      for (auto& v : x) v = dist(rng);
      std::vector<float> want(x.size()), got(x.size()), lwant(x.size());
      softmax_reference(x.data(), want.data(), rows, cols);
      log_softmax_reference(x.data(), lwant.data(), rows, cols);
      for (int variant = 0; variant < 4; ++variant) {
        if (variant == 0 && !cpu_features().has_avx2_fma()) continue;
        ThreadPool* pool = variant == 2 ? &pool1 : variant == 3 ? &pool2 : nullptr;
        for (bool log : {false, true}) {
          if (variant == 0) {
            for (int64_t r = 0; r < rows; ++r)
              (log ? detail::log_softmax_row_avx2 : detail::softmax_row_avx2)(
                  x.data() + r * cols, got.data() + r * cols, cols);
          } else {
            (log ? log_softmax : softmax)(x.data(), got.data(), rows, cols, pool);
          }
          const auto& w = log ? lwant : want;
          for (size_t i = 0; i < x.size(); ++i)
            ASSERT_TRUE(close(got[i], w[i], 2e-6, log ? 2e-6 : 1e-30))
                << "rows " << rows << " cols " << cols << " log " << log << " variant " << variant
                << " at " << i << " got " << got[i] << " want " << w[i];
        }
      }
    }
  }
}

TEST(Softmax, StableForLargeInputsAndNan) {
  std::vector<float> x = {1000.0f, 1000.0f, -1000.0f, 0.0f, 1e30f, 1e30f, 5.0f, 5.0f, 5.0f};
  std::vector<float> y(x.size());
  softmax(x.data(), y.data(), 1, 9);
  EXPECT_NEAR(y[4], 0.5f, 1e-6);
  EXPECT_EQ(y[0], 0.0f);
  log_softmax(x.data(), y.data(), 1, 9);
  EXPECT_NEAR(y[4], -std::log(2.0f), 1e-6);
  x[6] = std::nanf("");
  softmax(x.data(), y.data(), 1, 9);
  for (float v : y) EXPECT_TRUE(std::isnan(v));
}

}  // namespace
}  // namespace sinter::kernels
