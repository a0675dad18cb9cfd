#include "compress/connectivity_prune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

// Kernel energies summed the obvious way, ranked with a stable sort, the first k kept.
std::vector<uint8_t> reference_mask(const Tensor& w, int64_t k) {
  const int64_t kernels = w.dim(0) * w.dim(1), taps = w.dim(2) * w.dim(3);
  const float* x = w.data<float>();
  std::vector<double> energy(kernels, 0.0);
  for (int64_t kn = 0; kn < kernels; ++kn)
    for (int64_t t = 0; t < taps; ++t)
      energy[kn] += static_cast<double>(x[kn * taps + t]) * x[kn * taps + t];
  const std::vector<int64_t> order = test::order_by_score(energy);
  std::vector<uint8_t> keep(w.numel(), 0);
  for (int64_t i = 0; i < k; ++i) std::fill_n(keep.begin() + order[i] * taps, taps, 1);
  return keep;
}

TEST(PruneConnectivityTest, KeptKernelCount) {
  EXPECT_EQ(kept_kernel_count(36, 3.6, "test"), 10);
  EXPECT_EQ(kept_kernel_count(36, 1.0, "test"), 36);
  EXPECT_EQ(kept_kernel_count(100, 3.0, "test"), 33);
  EXPECT_EQ(kept_kernel_count(10, 4.0, "test"), 3);  // 2.5 rounds away from zero
  EXPECT_EQ(kept_kernel_count(5, 1000.0, "test"), 1);
  EXPECT_EQ(kept_kernel_count(0, 2.0, "test"), 0);
}

TEST(PruneConnectivityTest, MatchesReferenceAndKeepsWholeKernels) {
  for (const Shape& shape :
       std::vector<Shape>{{4, 3, 3, 3}, {2, 5, 1, 1}, {3, 3, 5, 5}, {1, 1, 3, 3}})
    for (double rate : {1.0, 1.5, 2.0, 3.6, 8.0})
      for (bool ties : {false, true})
        for (uint64_t seed = 0; seed < 3; ++seed) {
          const Tensor w = random_weights(shape, seed, ties);
          const int64_t k = kept_kernel_count(shape[0] * shape[1], rate, "test");
          const Mask m = connectivity_mask(w, rate);
          SCOPED_TRACE(shape_str(shape) + " rate " + std::to_string(rate));
          EXPECT_EQ(flags(m), reference_mask(w, k));
          EXPECT_EQ(m.count_kept(), k * shape[2] * shape[3]);
        }
}

TEST(PruneConnectivityTest, IsTheClosestTensorWithThatManyKernels) {
  for (bool ties : {false, true}) {
    const Tensor w = random_weights({2, 2, 2, 2}, 8, ties);
    for (double rate : {1.3, 2.0, 4.0}) {
      const int64_t k = kept_kernel_count(4, rate, "test");
      const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
        int64_t kernels = 0;
        for (int kn = 0; kn < 4; ++kn) {
          const int kept = std::count(keep.begin() + kn * 4, keep.begin() + kn * 4 + 4, 1);
          if (kept != 0 && kept != 4) return false;
          kernels += kept == 4;
        }
        return kernels <= k;
      });
      EXPECT_NEAR(test::pruned_energy(w, flags(connectivity_mask(w, rate))), best, 1e-12);
    }
  }
}

TEST(PruneConnectivityTest, ProjectingTwiceChangesNothing) {
  for (double rate : {1.0, 2.0, 3.6}) {
    const Tensor w = random_weights({6, 4, 3, 3}, 2, true);
    const Tensor once = connectivity_mask(w, rate).applied_to(w);
    EXPECT_EQ(test::values_of(connectivity_mask(once, rate).applied_to(once)),
              test::values_of(once));
  }
}

TEST(PruneConnectivityTest, BadInput) {
  const Tensor w = random_weights({2, 2, 3, 3}, 1, false);
  expect_error([&] { connectivity_mask(w, 0.5); }, {"connectivity", ">= 1", "got 0.5"});
  expect_error([&] { connectivity_mask(w, 0.0); }, {"connectivity", "got 0"});
  expect_error([&] { connectivity_mask(w, std::nan("")); }, {"connectivity", "got nan"});
  expect_error([&] { connectivity_mask(w, std::numeric_limits<double>::infinity()); },
               {"connectivity", "got inf"});
  expect_error(
      [] {
        connectivity_mask(Tensor(DType::kFloat32, {4, 9}), 2.0);
      },
      {"connectivity pruning", "rank 4", "[4,9]"});
  expect_error(
      [] {
        connectivity_mask(Tensor(DType::kFloat32, {1, 2, 3, 3, 1}), 2.0);
      },
      {"rank 4", "[1,2,3,3,1]"});
}

}  // namespace
}  // namespace sinter
