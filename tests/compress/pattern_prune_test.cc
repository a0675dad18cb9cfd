#include "compress/pattern_prune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>

#include "compress/connectivity_prune.h"
#include "compress_test_util.h"
#include "pattern_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

// A set of `count` distinct candidates picked at random.
std::vector<KernelPattern> random_set(int64_t count, uint64_t seed) {
  std::vector<KernelPattern> pool = candidate_patterns();
  std::mt19937_64 rng(seed);
  std::vector<KernelPattern> set;
  for (int64_t i = 0; i < count; ++i) {
    const auto j = static_cast<size_t>(uniform_below(rng, pool.size()));
    set.push_back(pool[j]);
    pool.erase(pool.begin() + j);
  }
  return set;
}

// What a kernel loses when only `pattern` of it survives.
double lost_energy(const float* kernel, KernelPattern pattern) {
  double lost = 0.0;
  for (int t = 0; t < 9; ++t)
    if (!((pattern >> t) & 1u)) lost += static_cast<double>(kernel[t]) * kernel[t];
  return lost;
}

// Per kernel, the set member that loses least (first on ties); then the kernels whose patterned
// remainder is largest, ranked with a stable sort.
struct Reference {
  std::vector<uint8_t> keep;
  std::vector<int32_t> kernel_pattern;
};
Reference reference(const Tensor& w, const std::vector<KernelPattern>& set, int64_t kept) {
  const int64_t kernels = w.dim(0) * w.dim(1);
  std::vector<int32_t> best(kernels);
  std::vector<double> remaining(kernels);
  for (int64_t kn = 0; kn < kernels; ++kn) {
    const float* kernel = w.data<float>() + kn * 9;
    double least = lost_energy(kernel, set[0]);
    best[kn] = 0;
    for (size_t p = 1; p < set.size(); ++p)
      if (lost_energy(kernel, set[p]) < least) least = lost_energy(kernel, set[p]), best[kn] = p;
    remaining[kn] = pattern_energy(kernel, set[best[kn]]);
  }
  Reference r{std::vector<uint8_t>(w.numel(), 0), std::vector<int32_t>(kernels, -1)};
  const std::vector<int64_t> order = test::order_by_score(remaining);
  for (int64_t i = 0; i < kept; ++i) {
    const int64_t kn = order[i];
    r.kernel_pattern[kn] = best[kn];
    for (int t = 0; t < 9; ++t) r.keep[kn * 9 + t] = (set[best[kn]] >> t) & 1u;
  }
  return r;
}

TEST(PrunePatternTest, MatchesReferenceAndKeepsFourTapsPerKeptKernel) {
  for (const Shape& shape :
       std::vector<Shape>{{4, 3, 3, 3}, {1, 1, 3, 3}, {8, 2, 3, 3}, {3, 7, 3, 3}})
    for (int64_t count : {1, 4, 8, 12, 56})
      for (double rate : {1.0, 2.0, 3.6})
        for (bool ties : {false, true}) {
          const Tensor w = random_weights(shape, count, ties);
          const std::vector<KernelPattern> set = random_set(count, count + 100);
          const int64_t kept = kept_kernel_count(shape[0] * shape[1], rate, "test");
          const PatternPruning got = prune_to_patterns(w, set, rate);
          const Reference want = reference(w, set, kept);
          SCOPED_TRACE(shape_str(shape) + " P " + std::to_string(count) + " rate " +
                       std::to_string(rate));
          EXPECT_EQ(flags(got.mask), want.keep);
          EXPECT_EQ(got.kernel_pattern, want.kernel_pattern);
          EXPECT_EQ(got.mask.count_kept(), kept * 4);
          EXPECT_EQ(std::count(got.kernel_pattern.begin(), got.kernel_pattern.end(), -1),
                    shape[0] * shape[1] - kept);
        }
}

TEST(PrunePatternTest, IsTheClosestPatternedTensor) {
  // Three 3x3 kernels have too many taps to enumerate every mask, so enumerate the choices
  // instead: a pattern of the set, or nothing, per kernel.
  for (bool ties : {false, true})
    for (double rate : {1.0, 1.5, 3.0}) {
      const Tensor w = random_weights({3, 1, 3, 3}, 17, ties);
      const std::vector<KernelPattern> set = random_set(5, 3);
      const int64_t kept = kept_kernel_count(3, rate, "test");
      double best = std::numeric_limits<double>::infinity();
      const int options = static_cast<int>(set.size()) + 1;  // the last option drops the kernel
      for (int a = 0; a < options; ++a)
        for (int b = 0; b < options; ++b)
          for (int c = 0; c < options; ++c) {
            const int choice[3] = {a, b, c};
            std::vector<uint8_t> keep(27, 0);
            int64_t kernels = 0;
            for (int kn = 0; kn < 3; ++kn) {
              if (choice[kn] == options - 1) continue;
              ++kernels;
              for (int t = 0; t < 9; ++t) keep[kn * 9 + t] = (set[choice[kn]] >> t) & 1u;
            }
            if (kernels <= kept) best = std::min(best, test::pruned_energy(w, keep));
          }
      EXPECT_NEAR(test::pruned_energy(w, flags(prune_to_patterns(w, set, rate).mask)), best, 1e-12);
    }
}

TEST(PrunePatternTest, ProjectingTwiceChangesNothing) {
  for (double rate : {1.0, 2.5})
    for (bool ties : {false, true}) {
      const Tensor w = random_weights({6, 5, 3, 3}, 23, ties);
      const std::vector<KernelPattern> set = random_set(6, 8);
      const Tensor once = prune_to_patterns(w, set, rate).mask.applied_to(w);
      EXPECT_EQ(test::values_of(prune_to_patterns(once, set, rate).mask.applied_to(once)),
                test::values_of(once));
    }
}

TEST(PrunePatternTest, PlantedKernelsKeepTheirPattern) {
  const std::vector<KernelPattern> set = random_set(4, 31);
  Tensor w(DType::kFloat32, {4, 4, 3, 3});
  std::mt19937_64 rng(2);
  for (int64_t kn = 0; kn < 16; ++kn) test::plant_pattern(w, kn, set[kn % 4], rng);
  const PatternPruning got = prune_to_patterns(w, set);
  for (int64_t kn = 0; kn < 16; ++kn) EXPECT_EQ(got.kernel_pattern[kn], kn % 4);
}

TEST(PrunePatternTest, ConnectivityRanksKernelsByWhatThePatternKeeps) {
  // Kernel 0 spreads its weight over all nine taps (9 in total, 4 in any pattern); kernel 1 has
  // less in total (6.57) but all of it in one pattern. Keeping one kernel of two, the exact
  // projection keeps kernel 1, while plain connectivity pruning by kernel norm keeps kernel 0.
  const KernelPattern cross = 0b010111000;  // center, left, right, bottom
  ASSERT_TRUE(std::binary_search(candidate_patterns().begin(), candidate_patterns().end(), cross));
  std::vector<float> v(18, 1.0f);
  for (int t = 0; t < 9; ++t) v[9 + t] = (cross >> t) & 1u ? (t == 4 ? 1.5f : 1.2f) : 0.0f;
  const Tensor w = Tensor::from_vector<float>({1, 2, 3, 3}, v);
  EXPECT_EQ(prune_to_patterns(w, {cross}, 2.0).kernel_pattern, (std::vector<int32_t>{-1, 0}));
  EXPECT_EQ(test::flags(connectivity_mask(w, 2.0))[0], 1);
}

TEST(PrunePatternTest, BadInput) {
  const Tensor w = random_weights({2, 2, 3, 3}, 1, false);
  const KernelPattern ok = candidate_patterns()[0];
  expect_error([&] { prune_to_patterns(w, {}); }, {"pattern pruning", "between 1 and 56", "got 0"});
  std::vector<KernelPattern> too_many = candidate_patterns();
  too_many.push_back(ok);
  expect_error([&] { prune_to_patterns(w, too_many); }, {"between 1 and 56", "got 57"});
  expect_error([&] { prune_to_patterns(w, {ok, ok}); }, {"appears twice"});
  expect_error([&] { prune_to_patterns(w, {0b000001111}); }, {"15", "include the center"});
  expect_error([&] { prune_to_patterns(w, {0b000111111}); }, {"63", "4-tap"});
  expect_error([&] { prune_to_patterns(w, {ok}, 0.9); }, {"connectivity rate", "got 0.9"});
  expect_error(
      [] {
        prune_to_patterns(Tensor(DType::kFloat32, {2, 2, 5, 5}), {0b000010111});
      },
      {"pattern pruning", "3x3 conv kernels", "[2,2,5,5]"});
  expect_error(
      [] {
        prune_to_patterns(Tensor(DType::kFloat32, {2, 9}), {0b000010111});
      },
      {"pattern pruning", "rank 4", "[2,9]"});
}

}  // namespace
}  // namespace sinter
