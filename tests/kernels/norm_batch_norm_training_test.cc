// Batch normalization in training mode: the fused kernels on every ISA tier's run loops
// (isa_tiers.h) and through the dispatcher (serial, 1 and 2 threads) against the double-precision
// reference, over [N, C] and [N, C, H, W] with C from 1 to 64 and odd sizes.
// Tolerances are relative to the size of the values compared (float sums against double).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "isa_tiers.h"
#include "kernels/norm/batch_norm_training.h"

namespace sinter::kernels {
namespace {

// The loops each case runs on: every tested tier with loops of its own, then the dispatcher's
// (nullptr: the public entry points).
std::vector<std::pair<std::string, const BatchNormRunLoops*>> loop_sets() {
  std::vector<std::pair<std::string, const BatchNormRunLoops*>> out;
  for (Isa isa : tested_isas())
    if (batch_norm_run_loops().has(isa))
      out.emplace_back(isa_name(isa), &batch_norm_run_loops().at(isa));
  out.emplace_back("dispatch", nullptr);
  return out;
}

std::vector<float> random_values(int64_t n, uint32_t seed, float mean, float spread) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(mean, spread);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(rng);
  return v;
}

double largest_magnitude(const std::vector<float>& v) {
  double m = 0;
  for (float x : v) m = std::max(m, std::fabs(double(x)));
  return m;
}

// |got - want| <= tol * scale everywhere; `scale` defaults to the largest |want|.
void expect_near_all(const std::vector<float>& got, const std::vector<float>& want, double tol,
                     const char* what, double scale = 0) {
  if (scale == 0) scale = std::max(largest_magnitude(want), 1e-30);
  for (size_t i = 0; i < got.size(); ++i)
    ASSERT_LE(std::fabs(double(got[i]) - double(want[i])), tol * scale)
        << what << "[" << i << "]: got " << got[i] << " want " << want[i];
}

struct Case {
  BatchNormDims d;
  float mean, spread;  // of the input values
};

std::vector<Case> cases() {
  std::vector<Case> out;
  for (int64_t c : {1, 2, 3, 7, 16, 33, 64}) {
    out.push_back({{5, c, 1}, 0.5f, 2.0f});  // [N, C]
    out.push_back({{64, c, 1}, -3.0f, 0.5f});
    out.push_back({{3, c, 5 * 7}, 0.0f, 1.0f});  // [N, C, 5, 7]
    out.push_back({{2, c, 13 * 11}, 1.0f, 3.0f});
  }
  out.push_back({{16, 32, 28 * 28}, 0.2f, 1.5f});  // vgg-small's first BN, at a smaller batch
  out.push_back({{1, 3, 3000}, 0.0f, 1.0f});       // runs longer than one float block
  out.push_back({{7, 5, 9}, 1000.0f, 0.1f});       // mean far from zero next to the spread
  out.push_back({{2, 4, 1}, 0.0f, 1.0f});
  out.push_back({{3, 4, 63}, -0.5f, 2.0f});  // runs of 3 whole AVX-512 vectors and a tail
  return out;
}

TEST(BatchNormTrainingKernel, ForwardMatchesReference) {
  ThreadPool pool1(1), pool2(2);
  uint32_t seed = 1;
  for (const Case& k : cases()) {
    const BatchNormDims& d = k.d;
    SCOPED_TRACE(::testing::Message() << "N " << d.batch << " C " << d.channels << " S "
                                      << d.spatial << " mean " << k.mean);
    const int64_t total = d.batch * d.channels * d.spatial;
    const std::vector<float> x = random_values(total, seed++, k.mean, k.spread);
    const std::vector<float> scale = random_values(d.channels, seed++, 1.0f, 0.5f);
    const std::vector<float> bias = random_values(d.channels, seed++, 0.0f, 1.0f);
    std::vector<float> y(total), mean(d.channels), var(d.channels), inv_std(d.channels);
    batch_norm_training_forward_reference(d, x.data(), scale.data(), bias.data(), 1e-5f, y.data(),
                                          mean.data(), var.data(), inv_std.data());
    for (const auto& [name, loops] : loop_sets()) {
      SCOPED_TRACE(name);
      std::vector<float> first_y;
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool1, &pool2}) {
        std::vector<float> gy(total), gm(d.channels), gv(d.channels), gr(d.channels);
        if (loops) {
          detail::batch_norm_training_forward(*loops, d, x.data(), scale.data(), bias.data(), 1e-5f,
                                              gy.data(), gm.data(), gv.data(), gr.data(), pool);
        } else {
          batch_norm_training_forward(d, x.data(), scale.data(), bias.data(), 1e-5f, gy.data(),
                                      gm.data(), gv.data(), gr.data(), pool);
        }
        // A mean near zero is a sum that cancels: measured against the values summed.
        expect_near_all(gm, mean, 1e-6, "mean", largest_magnitude(x));
        expect_near_all(gv, var, 1e-5, "var");
        expect_near_all(gr, inv_std, 1e-5, "inv_std");
        expect_near_all(gy, y, 1e-5, "y");
        // A channel's sums run in one order whatever the thread count.
        if (first_y.empty()) first_y = gy;
        ASSERT_EQ(gy, first_y) << "threads " << (pool ? pool->num_threads() : 0);
      }
    }
  }
}

TEST(BatchNormTrainingKernel, BackwardMatchesReferenceForEveryWantedSubset) {
  ThreadPool pool1(1), pool2(2);
  uint32_t seed = 100;
  for (const Case& k : cases()) {
    const BatchNormDims& d = k.d;
    SCOPED_TRACE(::testing::Message() << "N " << d.batch << " C " << d.channels << " S "
                                      << d.spatial << " mean " << k.mean);
    const int64_t total = d.batch * d.channels * d.spatial;
    const std::vector<float> x = random_values(total, seed++, k.mean, k.spread);
    const std::vector<float> dy = random_values(total, seed++, 0.1f, 1.0f);
    const std::vector<float> scale = random_values(d.channels, seed++, 1.0f, 0.5f);
    const std::vector<float> bias(d.channels);
    std::vector<float> y(total), mean(d.channels), var(d.channels), inv_std(d.channels);
    batch_norm_training_forward_reference(d, x.data(), scale.data(), bias.data(), 1e-5f, y.data(),
                                          mean.data(), var.data(), inv_std.data());
    std::vector<float> dx(total), dscale(d.channels), dbias(d.channels);
    batch_norm_training_backward_reference(d, dy.data(), x.data(), scale.data(), mean.data(),
                                           inv_std.data(), dx.data(), dscale.data(), dbias.data());
    for (const auto& [name, loops] : loop_sets()) {
      SCOPED_TRACE(name);
      for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool1, &pool2}) {
        for (int wanted = 1; wanted < 8; ++wanted) {
          const float kUnset = 12345.0f;
          std::vector<float> gx(total, kUnset), gs(d.channels, kUnset), gb(d.channels, kUnset);
          float* want_dx = wanted & 1 ? gx.data() : nullptr;
          float* want_dscale = wanted & 2 ? gs.data() : nullptr;
          float* want_dbias = wanted & 4 ? gb.data() : nullptr;
          if (loops) {
            detail::batch_norm_training_backward(*loops, d, dy.data(), x.data(), scale.data(),
                                                 mean.data(), inv_std.data(), want_dx, want_dscale,
                                                 want_dbias, pool);
          } else {
            batch_norm_training_backward(d, dy.data(), x.data(), scale.data(), mean.data(),
                                         inv_std.data(), want_dx, want_dscale, want_dbias, pool);
          }
          // dx is a difference of terms as large as scale * inv_std * dy: with few values per
          // channel it cancels to rounding noise, so its error is measured against them.
          if (wanted & 1)
            expect_near_all(
                gx, dx, 2e-5, "dx",
                largest_magnitude(scale) * largest_magnitude(inv_std) * largest_magnitude(dy));
          if (wanted & 2) expect_near_all(gs, dscale, 1e-5, "dscale");
          if (wanted & 4) expect_near_all(gb, dbias, 1e-5, "dbias");
          if (!(wanted & 1)) {
            ASSERT_EQ(gx[0], kUnset) << "dx written though not wanted";
          }
        }
      }
    }
  }
}

// The reference itself against values worked out by hand: x = {1, 3} and {5, 7} in channels 0
// and 1 of [2, 2], scale 2, bias 1, epsilon 0.
TEST(BatchNormTrainingKernel, ReferenceMatchesHandWorkedValues) {
  const BatchNormDims d{2, 2, 1};
  const std::vector<float> x = {1, 5, 3, 7}, scale = {2, 2}, bias = {1, 1};
  std::vector<float> y(4), mean(2), var(2), inv_std(2);
  batch_norm_training_forward_reference(d, x.data(), scale.data(), bias.data(), 0.0f, y.data(),
                                        mean.data(), var.data(), inv_std.data());
  EXPECT_EQ(mean, (std::vector<float>{2, 6}));
  EXPECT_EQ(var, (std::vector<float>{1, 1}));
  EXPECT_EQ(y, (std::vector<float>{-1, -1, 3, 3}));
  // dy = {1, 0, 0, 0}: dbias = {1, 0}, dscale = {-1, 0}; dx[channel 0] = 2/2 * (2*dy - 1 + xhat).
  const std::vector<float> dy = {1, 0, 0, 0};
  std::vector<float> dx(4), dscale(2), dbias(2);
  batch_norm_training_backward_reference(d, dy.data(), x.data(), scale.data(), mean.data(),
                                         inv_std.data(), dx.data(), dscale.data(), dbias.data());
  EXPECT_EQ(dbias, (std::vector<float>{1, 0}));
  EXPECT_EQ(dscale, (std::vector<float>{-1, 0}));
  EXPECT_EQ(dx, (std::vector<float>{0, 0, 0, 0}));
}

}  // namespace
}  // namespace sinter::kernels
