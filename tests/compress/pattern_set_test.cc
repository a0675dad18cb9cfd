#include "compress/pattern_set.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <numeric>
#include <random>

#include "compress_test_util.h"
#include "pattern_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::random_weights;

int64_t candidate_index(KernelPattern p) {
  const std::vector<KernelPattern>& c = candidate_patterns();
  return std::find(c.begin(), c.end(), p) - c.begin();
}

TEST(PrunePatternSetTest, FiftySixCandidatesOfFourTapsWithTheCenter) {
  const std::vector<KernelPattern>& c = candidate_patterns();
  ASSERT_EQ(c.size(), 56u);
  EXPECT_TRUE(std::is_sorted(c.begin(), c.end()));
  EXPECT_EQ(std::adjacent_find(c.begin(), c.end()), c.end());
  for (KernelPattern p : c) {
    EXPECT_EQ(std::popcount(p), 4);
    EXPECT_TRUE(p & (1 << 4));
    EXPECT_LT(p, 1 << 9);
  }
  EXPECT_EQ(c.front(), 0b000010111);  // taps 0, 1, 2 and the center
  EXPECT_EQ(c.back(), 0b111010000);   // the center and taps 6, 7, 8
}

TEST(PrunePatternSetTest, PatternEnergySumsTheKeptSquares) {
  const float kernel[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
  EXPECT_DOUBLE_EQ(pattern_energy(kernel, 0b000010111), 1 + 4 + 9 + 25);
  EXPECT_DOUBLE_EQ(pattern_energy(kernel, 0b101010100), 9 + 25 + 49 + 81);
}

TEST(PrunePatternSetTest, CountsMatchTheCenterPlusThreeLargestRule) {
  for (bool ties : {false, true}) {
    const std::vector<Tensor> weights = {random_weights({8, 6, 3, 3}, 1, ties),
                                         random_weights({4, 8, 3, 3}, 2, ties)};
    std::vector<int64_t> expected(56, 0);
    for (const Tensor& w : weights)
      for (int64_t kn = 0; kn < w.numel() / 9; ++kn)
        ++expected[candidate_index(test::best_candidate_by_sorting(w.data<float>() + kn * 9))];
    EXPECT_EQ(count_best_patterns(weights), expected) << "ties " << ties;
  }
}

TEST(PrunePatternSetTest, FindsThePlantedPatternsMostFrequentFirst) {
  const std::vector<KernelPattern>& c = candidate_patterns();
  // Pattern c[40] wins 12 kernels, c[3] 9, c[17] 7, c[55] 4; six others win one each.
  const std::vector<std::pair<KernelPattern, int>> planted = {
      {c[40], 12}, {c[3], 9}, {c[17], 7}, {c[55], 4}, {c[0], 1},
      {c[1], 1},   {c[9], 1}, {c[20], 1}, {c[30], 1}, {c[50], 1}};
  Tensor a(DType::kFloat32, {6, 4, 3, 3}), b(DType::kFloat32, {3, 6, 3, 3});
  std::mt19937_64 rng(5);
  int64_t next = 0;
  for (const auto& [pattern, times] : planted)
    for (int i = 0; i < times; ++i, ++next) {
      // Spread the kernels over two layers, as the set is chosen for the whole model.
      if (next < 24)
        test::plant_pattern(a, next, pattern, rng);
      else
        test::plant_pattern(b, next - 24, pattern, rng);
    }
  ASSERT_EQ(next, 38);  // b's last 4 kernels stay zero and must not vote
  const std::vector<Tensor> weights = {a, b};
  const std::vector<int64_t> wins = count_best_patterns(weights);
  for (const auto& [pattern, times] : planted) EXPECT_EQ(wins[candidate_index(pattern)], times);
  EXPECT_EQ(std::accumulate(wins.begin(), wins.end(), int64_t{0}), 38);

  EXPECT_EQ(select_pattern_set(weights, 1), (std::vector<KernelPattern>{c[40]}));
  EXPECT_EQ(select_pattern_set(weights, 4),
            (std::vector<KernelPattern>{c[40], c[3], c[17], c[55]}));
  // Equal counts go in candidate order, and patterns nobody chose fill the set after them.
  const std::vector<KernelPattern> eight = select_pattern_set(weights, 8);
  EXPECT_EQ(eight,
            (std::vector<KernelPattern>{c[40], c[3], c[17], c[55], c[0], c[1], c[9], c[20]}));
  const std::vector<KernelPattern> twelve = select_pattern_set(weights, 12);
  EXPECT_EQ(twelve[10], c[2]);
  EXPECT_EQ(twelve[11], c[4]);
  EXPECT_EQ(select_pattern_set(weights, 56).size(), 56u);
}

TEST(PrunePatternSetTest, ZeroKernelsDoNotVote) {
  const std::vector<int64_t> wins = count_best_patterns({Tensor(DType::kFloat32, {3, 3, 3, 3})});
  EXPECT_EQ(std::count(wins.begin(), wins.end(), 0), 56);
}

TEST(PrunePatternSetTest, BadInput) {
  const std::vector<Tensor> ok = {random_weights({2, 2, 3, 3}, 1, false)};
  expect_error([&] { select_pattern_set(ok, 0); }, {"pattern count", "between 1 and 56", "got 0"});
  expect_error([&] { select_pattern_set(ok, 57); }, {"pattern count", "got 57"});
  expect_error([] { select_pattern_set({}, 4); }, {"no 3x3 conv weights"});
  expect_error(
      [] {
        select_pattern_set({Tensor(DType::kFloat32, {2, 2, 5, 5})}, 4);
      },
      {"3x3 conv kernels", "[2,2,5,5]"});
  expect_error(
      [] {
        count_best_patterns({Tensor(DType::kFloat32, {2, 3, 3})});
      },
      {"rank 4", "[2,3,3]"});
  expect_error(
      [] {
        count_best_patterns({Tensor(DType::kFloat32, {2, 2, 3, 1})});
      },
      {"3x3 conv kernels", "[2,2,3,1]"});
}

}  // namespace
}  // namespace sinter
