#include "compress/mask.h"

#include <gtest/gtest.h>

#include <limits>

#include "compress_test_util.h"

namespace sinter {
namespace {

using test::expect_error;
using test::values_of;

TEST(PruneMaskTest, CountsAndSparsity) {
  const Mask m({2, 3}, {1, 0, 0, 1, 1, 0});
  EXPECT_EQ(m.shape(), (Shape{2, 3}));
  EXPECT_EQ(m.numel(), 6);
  EXPECT_EQ(m.count_kept(), 3);
  EXPECT_DOUBLE_EQ(m.sparsity(), 0.5);
  EXPECT_TRUE(m.kept(0));
  EXPECT_FALSE(m.kept(1));
  EXPECT_EQ(m.values().dtype(), DType::kUint8);
  EXPECT_EQ(m.values().shape(), (Shape{2, 3}));
  EXPECT_DOUBLE_EQ(Mask({0}, {}).sparsity(), 0.0);
  EXPECT_DOUBLE_EQ(Mask({4}, {0, 0, 0, 0}).sparsity(), 1.0);
}

TEST(PruneMaskTest, ApplyZeroesPrunedEntriesInPlace) {
  Tensor w = Tensor::from_vector<float>(
      {2, 2}, {1.5f, -2.0f, std::numeric_limits<float>::infinity(), -0.0f});
  const Mask m({2, 2}, {1, 0, 0, 1});
  m.apply(w);
  EXPECT_EQ(values_of(w), (std::vector<float>{1.5f, 0.0f, 0.0f, -0.0f}));
}

TEST(PruneMaskTest, AppliedToLeavesTheOriginalAlone) {
  const Tensor w = Tensor::from_vector<float>({3}, {1.0f, 2.0f, 3.0f});
  const Tensor p = Mask({3}, {0, 1, 0}).applied_to(w);
  EXPECT_EQ(values_of(p), (std::vector<float>{0.0f, 2.0f, 0.0f}));
  EXPECT_EQ(values_of(w), (std::vector<float>{1.0f, 2.0f, 3.0f}));
}

TEST(PruneMaskTest, OfNonzerosMarksWhatAPrunedTensorKept) {
  const Tensor w = Tensor::from_vector<float>({2, 2}, {0.0f, -0.0f, 0.5f, -1.0f});
  const Mask m = Mask::of_nonzeros(w);
  EXPECT_EQ(test::flags(m), (std::vector<uint8_t>{0, 0, 1, 1}));
  EXPECT_EQ(m.count_kept(), 2);
}

TEST(PruneMaskTest, BadInput) {
  expect_error([] { Mask({2, 2}, {1, 0, 1}); }, {"3 flags", "[2,2]"});
  expect_error([] { Mask({2}, {1, 2}); }, {"0 or 1", "got 2"});
  const Mask m({2, 2}, {1, 0, 0, 1});
  Tensor wrong_shape(DType::kFloat32, {4});
  expect_error([&] { m.apply(wrong_shape); }, {"[2,2]", "[4]"});
  Tensor ints(DType::kInt8, {2, 2});
  expect_error([&] { m.apply(ints); }, {"float32", "int8"});
  expect_error([&] { Mask::of_nonzeros(ints); }, {"float32", "int8"});
}

}  // namespace
}  // namespace sinter
