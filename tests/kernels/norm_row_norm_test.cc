// Row normalization: every ISA tier's loops (isa_tiers.h) and the dispatcher (serial, 1 and 2
// threads) against the double-precision reference, over row lengths from 0 to past the lanes'
// multiples, per-column and per-run affines (layer, instance and group normalization), with and
// without bias, small and large epsilon, and rows whose mean is large against their spread (the
// one-pass moments are shifted so that they do not cancel). Outputs agree within a few float
// roundings of the normalized values.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "isa_tiers.h"
#include "kernels/norm/row_norm.h"

namespace sinter::kernels {
namespace {

struct Case {
  RowNormParams p;
  float mean, spread;
  bool bias;
};

std::vector<Case> cases() {
  std::vector<Case> out;
  auto add = [&](int64_t rows, int64_t cols, bool per_column, int64_t period, int64_t segments,
                 float eps, float mean, float spread) {
    for (bool bias : {true, false}) {
      RowNormParams p;
      p.rows = rows, p.cols = cols, p.per_column = per_column, p.period = period;
      p.segments = segments, p.epsilon = eps;
      out.push_back({p, mean, spread, bias});
    }
  };
  for (int64_t cols : {1, 2, 7, 8, 9, 16, 31, 64, 100, 768, 1000}) {
    add(5, cols, true, 1, 1, 1e-5f, 0.0f, 1.0f);   // layer norm
    add(6, cols, false, 3, 1, 1e-3f, 2.0f, 0.5f);  // instance norm over 3 channels
  }
  add(4, 0, true, 1, 1, 1e-5f, 0.0f, 1.0f);          // empty rows
  add(64, 197 * 4, true, 1, 1, 1e-6f, 0.0f, 3.0f);   // transformer tokens: split over threads
  add(8, 4 * 49, false, 4, 4, 1e-5f, -1.0f, 2.0f);   // group norm, a scale per channel
  add(6, 2 * 3136, false, 3, 1, 1e-5f, 0.5f, 1.0f);  // group norm, a scale per group
  add(3, 4096, false, 3, 16, 1e-5f, 0.0f, 1.0f);     // many channels per group
  add(7, 333, true, 1, 1, 1.0f, 0.0f, 0.1f);         // epsilon above the variance
  add(5, 500, true, 1, 1, 1e-5f, 1000.0f, 0.01f);    // mean 10^5 times the spread
  add(4, 129, false, 2, 1, 0.0f, -3.0e4f, 2.0f);     // no epsilon, a large negative mean
  return out;
}

std::vector<float> random_values(int64_t n, std::mt19937& rng, float mean, float spread) {
  std::normal_distribution<float> dist(mean, spread);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(RowNorm, MatchesReference) {
  std::mt19937 rng(11);
  ThreadPool pool1(1), pool2(2);
  for (const Case& c : cases()) {
    const RowNormParams& p = c.p;
    const int64_t n = p.rows * p.cols;
    const int64_t affine = p.per_column ? p.cols : p.period * p.segments;
    const std::vector<float> x = random_values(n, rng, c.mean, c.spread);
    const std::vector<float> scale = random_values(affine, rng, 1.0f, 0.5f);
    const std::vector<float> bias = random_values(affine, rng, 0.0f, 1.0f);
    const float* b = c.bias ? bias.data() : nullptr;
    std::vector<float> want(n), want_mean(p.rows), want_inv(p.rows);
    normalize_rows_reference(p, x.data(), scale.data(), b, want.data(), want_mean.data(),
                             want_inv.data());
    std::vector<std::pair<std::string, std::function<void(float*, float*, float*)>>> runs;
    for (Isa isa : tested_isas()) {
      if (!row_norm_kernels().has(isa)) continue;
      const auto run = row_norm_kernels().at(isa).normalize_rows;
      runs.push_back({isa_name(isa), [&, run](float* y, float* m, float* inv) {
                        run(p, x.data(), scale.data(), b, y, m, inv, 0, p.rows);
                      }});
    }
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool1, &pool2})
      runs.push_back({"dispatch, threads " + std::to_string(pool ? pool->num_threads() : 0),
                      [&, pool](float* y, float* m, float* inv) {
                        normalize_rows(p, x.data(), scale.data(), b, y, m, inv, pool);
                      }});
    for (const auto& [name, run] : runs) {
      std::vector<float> got(n, -777.0f), mean(p.rows, -777.0f), inv(p.rows, -777.0f);
      run(got.data(), mean.data(), inv.data());
      SCOPED_TRACE(::testing::Message()
                   << name << " rows " << p.rows << " cols " << p.cols << " per_column "
                   << p.per_column << " segments " << p.segments << " eps " << p.epsilon << " mean "
                   << c.mean << " bias " << c.bias);
      for (int64_t r = 0; r < p.rows; ++r) {
        ASSERT_NEAR(mean[r], want_mean[r], 1e-6 * (1 + std::fabs(want_mean[r]))) << "row " << r;
        ASSERT_NEAR(inv[r], want_inv[r], 1e-5 * want_inv[r]) << "row " << r;
      }
      // The float mean's rounding, scaled by inv_std, bounds what a large mean costs.
      for (int64_t i = 0; i < n; ++i) {
        const int64_t r = i / std::max<int64_t>(p.cols, 1);
        const double tol =
            2e-5 * (1 + std::fabs(want[i])) + 4e-7 * std::fabs(want_mean[r]) * want_inv[r] * 2;
        ASSERT_NEAR(got[i], want[i], tol) << "at " << i;
      }
    }
  }
}

// Without output pointers for the statistics nothing else changes.
TEST(RowNorm, StatisticsAreOptional) {
  RowNormParams p;
  p.rows = 3, p.cols = 10;
  std::mt19937 rng(2);
  const std::vector<float> x = random_values(30, rng, 0, 1), scale(10, 2.0f);
  std::vector<float> with(30), without(30), mean(3), inv(3);
  normalize_rows(p, x.data(), scale.data(), nullptr, with.data(), mean.data(), inv.data());
  normalize_rows(p, x.data(), scale.data(), nullptr, without.data(), nullptr, nullptr);
  EXPECT_EQ(with, without);
}

}  // namespace
}  // namespace sinter::kernels
