#include "compress/block_prune.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::flags;
using test::random_weights;

const std::vector<Shape> kShapes = {{2, 8}, {3, 10}, {4, 2, 3, 3}, {1, 5}, {5, 1}, {2, 64}};

int64_t expected_kept(int64_t n, double s) {
  return std::max<int64_t>(1, std::llround((1.0 - s) * static_cast<double>(n)));
}

// Visits every block of w viewed as [dim 0, rest]: flat start and length.
void for_each_block(const Shape& shape, int64_t block,
                    const std::function<void(int64_t, int64_t)>& visit) {
  const int64_t rows = shape[0], cols = shape_numel(shape) / shape[0];
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; c += block) visit(r * cols + c, std::min(block, cols - c));
}

// Each block sorted on its own (stable, so ties keep index order), its first kept_in(len) kept.
std::vector<uint8_t> reference_mask(const Tensor& w, int64_t block,
                                    const std::function<int64_t(int64_t)>& kept_in) {
  const float* x = w.data<float>();
  std::vector<uint8_t> keep(w.numel(), 0);
  for_each_block(w.shape(), block, [&](int64_t start, int64_t len) {
    std::vector<double> magnitude;
    for (int64_t i = 0; i < len; ++i) magnitude.push_back(std::fabs(x[start + i]));
    const std::vector<int64_t> order = test::order_by_score(magnitude);
    for (int64_t i = 0; i < kept_in(len); ++i) keep[start + order[i]] = 1;
  });
  return keep;
}

// Whether no block keeps more than kept_in(len).
bool within_blocks(const Shape& shape, const std::vector<uint8_t>& keep, int64_t block,
                   const std::function<int64_t(int64_t)>& kept_in) {
  bool ok = true;
  for_each_block(shape, block, [&](int64_t start, int64_t len) {
    ok = ok && std::count(keep.begin() + start, keep.begin() + start + len, 1) <= kept_in(len);
  });
  return ok;
}

TEST(PruneBalancedTest, MatchesReferenceWithTheSameCountInEveryBlock) {
  for (const Shape& shape : kShapes)
    for (int64_t block : {1, 2, 3, 4, 8, 32, 100})
      for (double s : {0.0, 0.3, 0.5, 0.75, 0.9})
        for (bool ties : {false, true}) {
          const Tensor w = random_weights(shape, block, ties);
          const Mask m = balanced_mask(w, block, s);
          const auto kept_in = [&](int64_t len) { return expected_kept(len, s); };
          SCOPED_TRACE(shape_str(shape) + " block " + std::to_string(block) + " sparsity " +
                       std::to_string(s));
          EXPECT_EQ(flags(m), reference_mask(w, block, kept_in));
          const std::vector<uint8_t> keep = flags(m);
          for_each_block(shape, block, [&](int64_t start, int64_t len) {
            EXPECT_EQ(std::count(keep.begin() + start, keep.begin() + start + len, 1),
                      kept_in(len));
          });
        }
}

TEST(PruneBalancedTest, IsTheClosestBalancedTensor) {
  for (const Shape& shape : std::vector<Shape>{{2, 6}, {3, 5}, {2, 7}})
    for (int64_t block : {2, 3, 4})
      for (double s : {0.34, 0.5, 0.75})
        for (bool ties : {false, true}) {
          const Tensor w = random_weights(shape, 3, ties);
          const auto kept_in = [&](int64_t len) { return expected_kept(len, s); };
          const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
            return within_blocks(shape, keep, block, kept_in);
          });
          EXPECT_NEAR(test::pruned_energy(w, flags(balanced_mask(w, block, s))), best, 1e-12);
        }
}

TEST(PruneBalancedTest, ProjectingTwiceChangesNothing) {
  for (const Shape& shape : kShapes)
    for (int64_t block : {3, 4, 16})
      for (double s : {0.5, 0.8}) {
        const Tensor w = random_weights(shape, 9, true);
        const Tensor once = balanced_mask(w, block, s).applied_to(w);
        EXPECT_EQ(test::values_of(balanced_mask(once, block, s).applied_to(once)),
                  test::values_of(once));
      }
}

TEST(PruneBalancedTest, HandWorkedRowsWithATail) {
  // One row of 6 in blocks of 4: the first block keeps 2 of 4, the tail keeps 1 of 2.
  const Tensor w = Tensor::from_vector<float>({1, 6}, {0.1f, -0.9f, 0.5f, 0.5f, 0.2f, -0.3f});
  EXPECT_EQ(flags(balanced_mask(w, 4, 0.5)), (std::vector<uint8_t>{0, 1, 1, 0, 0, 1}));
}

TEST(PruneNofMTest, MatchesReferenceAndKeepsNOfEveryM) {
  for (const Shape& shape : kShapes)
    for (auto [n, m] : std::vector<std::pair<int64_t, int64_t>>{
             {1, 1}, {1, 2}, {2, 4}, {1, 4}, {3, 4}, {4, 8}, {2, 3}, {4, 4}})
      for (bool ties : {false, true}) {
        const Tensor w = random_weights(shape, n * 10 + m, ties);
        const auto kept_in = [&](int64_t len) { return std::min(n, len); };
        const Mask mask = n_of_m_mask(w, n, m);
        SCOPED_TRACE(shape_str(shape) + " " + std::to_string(n) + ":" + std::to_string(m));
        EXPECT_EQ(flags(mask), reference_mask(w, m, kept_in));
        int64_t expected = 0;
        for_each_block(shape, m, [&](int64_t, int64_t len) { expected += kept_in(len); });
        EXPECT_EQ(mask.count_kept(), expected);
      }
}

TEST(PruneNofMTest, IsTheClosestNofMTensor) {
  for (const Shape& shape : std::vector<Shape>{{2, 8}, {3, 5}, {1, 14}})
    for (auto [n, m] : std::vector<std::pair<int64_t, int64_t>>{{1, 2}, {2, 4}, {1, 3}, {3, 4}})
      for (bool ties : {false, true}) {
        const Tensor w = random_weights(shape, 21, ties);
        const auto kept_in = [&](int64_t len) { return std::min(n, len); };
        const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
          return within_blocks(shape, keep, m, kept_in);
        });
        EXPECT_NEAR(test::pruned_energy(w, flags(n_of_m_mask(w, n, m))), best, 1e-12);
      }
}

TEST(PruneNofMTest, TwoOfFourByHandAndTwice) {
  const Tensor w = Tensor::from_vector<float>({2, 4}, {1, -3, 2, 0.5f, 0, 0, 0, 0});
  // Second row: all ties at zero, the lowest two indices stay.
  EXPECT_EQ(flags(n_of_m_mask(w, 2, 4)), (std::vector<uint8_t>{0, 1, 1, 0, 1, 1, 0, 0}));
  for (const Shape& shape : kShapes) {
    const Tensor r = random_weights(shape, 4, true);
    const Tensor once = n_of_m_mask(r, 2, 4).applied_to(r);
    EXPECT_EQ(test::values_of(n_of_m_mask(once, 2, 4).applied_to(once)), test::values_of(once));
  }
}

// Whether every block of `rows` outputs at one column is kept or pruned whole.
bool whole_output_blocks(const Shape& shape, const std::vector<uint8_t>& keep, int64_t rows) {
  const int64_t outputs = shape[0], cols = shape_numel(shape) / shape[0];
  for (int64_t r = 0; r < outputs; ++r)
    for (int64_t c = 0; c < cols; ++c)
      if (keep[r * cols + c] != keep[(r / rows * rows) * cols + c]) return false;
  return true;
}

TEST(PruneOutputBlocksTest, KeepsWholeBlocksOfTheLargestNorm) {
  for (const Shape& shape : kShapes)
    for (int64_t rows : {1, 2, 3, 4})
      for (double sparsity : {0.0, 0.5, 0.9})
        for (bool ties : {false, true}) {
          const Tensor w = random_weights(shape, rows * 7 + 1, ties);
          const Mask mask = output_block_mask(w, rows, sparsity);
          SCOPED_TRACE(shape_str(shape) + " rows " + std::to_string(rows));
          const int64_t cols = shape_numel(shape) / shape[0];
          const int64_t blocks = (shape[0] + rows - 1) / rows * cols;
          EXPECT_TRUE(whole_output_blocks(shape, flags(mask), rows));
          int64_t kept_blocks = 0;
          for (int64_t r = 0; r < shape[0]; r += rows)
            for (int64_t c = 0; c < cols; ++c) kept_blocks += flags(mask)[r * cols + c];
          EXPECT_EQ(kept_blocks, expected_kept(blocks, sparsity));
        }
}

TEST(PruneOutputBlocksTest, IsTheClosestTensorWithThatManyBlocks) {
  for (const Shape& shape : std::vector<Shape>{{4, 3}, {3, 4}, {5, 2}})
    for (int64_t rows : {2, 3})
      for (bool ties : {false, true}) {
        const Tensor w = random_weights(shape, 33, ties);
        const int64_t cols = shape_numel(shape) / shape[0];
        const int64_t kept = expected_kept((shape[0] + rows - 1) / rows * cols, 0.5);
        const double best = test::min_pruned_energy(w, [&](const std::vector<uint8_t>& keep) {
          int64_t blocks = 0;
          for (int64_t r = 0; r < shape[0]; r += rows)
            for (int64_t c = 0; c < cols; ++c) blocks += keep[r * cols + c];
          return whole_output_blocks(shape, keep, rows) && blocks <= kept;
        });
        EXPECT_NEAR(test::pruned_energy(w, flags(output_block_mask(w, rows, 0.5))), best, 1e-12);
      }
}

TEST(PruneOutputBlocksTest, HandWorked) {
  // 3 rows of 2 columns in blocks of 2 rows (the last block one row). Squared norms: rows 0-1
  // 1.01 and 4.04, row 2 9 and 0; half the blocks kept: row 2's column 0 and rows 0-1's column 1.
  const Tensor w = Tensor::from_vector<float>({3, 2}, {1, 0.2f, 0.1f, 2, 3, 0});
  EXPECT_EQ(flags(output_block_mask(w, 2, 0.5)), (std::vector<uint8_t>{0, 1, 0, 1, 1, 0}));
}

TEST(PruneBalancedTest, BadInput) {
  const Tensor w = random_weights({4, 8}, 1, false);
  expect_error([&] { balanced_mask(w, 0, 0.5); }, {"balanced pruning", "block size", "got 0"});
  expect_error([&] { balanced_mask(w, 4, 1.0); }, {"balanced pruning", "sparsity", "got 1"});
  expect_error([] { balanced_mask(Tensor(DType::kFloat32, {0, 4}), 4, -1.0); }, {"sparsity"});
  expect_error([] { balanced_mask(Tensor(DType::kFloat32, {8}), 4, 0.5); }, {"rank >= 2", "[8]"});
  expect_error([&] { n_of_m_mask(w, 0, 4); }, {"N:M", "1 <= N <= M", "got 0:4"});
  expect_error([&] { n_of_m_mask(w, 5, 4); }, {"N:M", "got 5:4"});
  expect_error([] { n_of_m_mask(Tensor(DType::kFloat32, {8}), 2, 4); }, {"rank >= 2"});
  expect_error([&] { output_block_mask(w, 0, 0.5); }, {"block pruning", "block size", "got 0"});
  expect_error([&] { output_block_mask(w, 4, 1.0); }, {"block pruning", "sparsity", "got 1"});
  expect_error([] { output_block_mask(Tensor(DType::kFloat32, {8}), 4, 0.5); }, {"rank >= 2"});
}

}  // namespace
}  // namespace sinter
