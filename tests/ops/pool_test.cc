#include <gtest/gtest.h>

#include "math_op_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;
using Ints = std::vector<int64_t>;

Tensor iota(Shape s) {
  std::vector<float> v(shape_numel(s));
  for (size_t i = 0; i < v.size(); ++i) v[i] = float(i + 1);
  return Tensor::from_vector<float>(s, v);
}

TEST(PoolOp, HandComputedMaxAndAverage) {
  Tensor x = iota({1, 1, 4, 4});  // 1..16
  Attrs k2s2 = {{"kernel_shape", Ints{2, 2}}, {"strides", Ints{2, 2}}};
  expect_values(run1(make_node("MaxPool", 1, k2s2), 13, {&x}), {6, 8, 14, 16});
  expect_values(run1(make_node("AveragePool", 1, k2s2), 13, {&x}), {3.5, 5.5, 11.5, 13.5});
  // ceil_mode: 4 -> ceil((4 - 3) / 2) + 1 = 2 windows, the last one partial.
  Attrs ceil = {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}};
  expect_values(run1(make_node("MaxPool", 1, ceil), 13, {&x}), {11, 12, 15, 16});
  // Padding excluded from (default) or included in the average.
  Attrs pad = {{"kernel_shape", Ints{2, 2}}, {"pads", Ints{1, 1, 0, 0}}, {"strides", Ints{3, 3}}};
  expect_values(run1(make_node("AveragePool", 1, pad), 13, {&x}), {1, 3.5, 11, 13.5});
  pad["count_include_pad"] = int64_t(1);
  expect_values(run1(make_node("AveragePool", 1, pad), 13, {&x}), {0.25, 1.75, 5.5, 13.5});
}

TEST(PoolOp, KernelMatchesReferenceAcrossOptions) {
  Tensor x = random_tensor({2, 5, 13, 12}, 1);
  const Attrs cases[] = {
      {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}},
      {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t(1)}},
      {{"kernel_shape", Ints{2, 3}}, {"auto_pad", std::string("SAME_UPPER")}},
      {{"kernel_shape", Ints{3, 2}},
       {"auto_pad", std::string("SAME_LOWER")},
       {"strides", Ints{2, 1}}},
      {{"kernel_shape", Ints{3, 3}}, {"dilations", Ints{2, 2}}},
      {{"kernel_shape", Ints{5, 5}}, {"auto_pad", std::string("VALID")}, {"strides", Ints{3, 3}}},
  };
  for (const Attrs& a : cases)
    for (const char* op : {"MaxPool", "AveragePool"}) {
      Node n = make_node(op, 1, a);
      SCOPED_TRACE(op);
      expect_close(run_impl(n, 13, {&x}, "pool2d", 2), run_impl(n, 13, {&x}), 1e-6);
    }
}

TEST(PoolOp, OneDimensionalAndGlobal) {
  Tensor x = iota({1, 2, 5});
  expect_values(run1(make_node("MaxPool", 1, {{"kernel_shape", Ints{2}}}), 13, {&x}),
                {2, 3, 4, 5, 7, 8, 9, 10});
  expect_values(run1(make_node("AveragePool", 1, {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}),
                     13, {&x}),
                {2, 4, 7, 9});
  Tensor g = iota({2, 2, 2, 2});
  Tensor avg = run1(make_node("GlobalAveragePool", 1), 13, {&g});
  EXPECT_EQ(shape_str(avg.shape()), "[2,2,1,1]");
  expect_values(avg, {2.5, 6.5, 10.5, 14.5});
  expect_values(run1(make_node("GlobalMaxPool", 1), 13, {&g}), {4, 8, 12, 16});
  Tensor big = random_tensor({2, 64, 7, 7}, 3);
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"})
    expect_close(run_impl(make_node(op, 1), 13, {&big}, "pool2d", 2),
                 run_impl(make_node(op, 1), 13, {&big}), 1e-6);
}

TEST(PoolOp, ThreeDimensional) {
  Tensor x = iota({1, 1, 2, 2, 4});  // 1..16
  Attrs k2 = {{"kernel_shape", Ints{2, 2, 2}}, {"strides", Ints{2, 2, 2}}};
  Tensor max = run1(make_node("MaxPool", 1, k2), 13, {&x});
  EXPECT_EQ(shape_str(max.shape()), "[1,1,1,1,2]");
  expect_values(max, {14, 16});
  expect_values(run1(make_node("AveragePool", 1, k2), 13, {&x}), {7.5, 9.5});
  // The two-pass kernel against the direct reference, through the op's attribute handling.
  Tensor r = random_tensor({2, 3, 7, 9, 10}, 2);
  const Attrs cases[] = {
      {{"kernel_shape", Ints{3, 3, 3}},
       {"strides", Ints{2, 2, 2}},
       {"pads", Ints{1, 1, 1, 1, 1, 1}}},
      {{"kernel_shape", Ints{2, 3, 2}}, {"strides", Ints{2, 1, 3}}, {"ceil_mode", int64_t(1)}},
      {{"kernel_shape", Ints{3, 2, 3}},
       {"pads", Ints{2, 0, 1, 0, 1, 2}},
       {"count_include_pad", int64_t(1)},
       {"ceil_mode", int64_t(1)},
       {"strides", Ints{3, 2, 2}}},
      {{"kernel_shape", Ints{2, 2, 3}}, {"auto_pad", std::string("SAME_UPPER")}},
      {{"kernel_shape", Ints{2, 2, 2}}, {"dilations", Ints{2, 1, 3}}},
  };
  for (const Attrs& a : cases)
    for (const char* op : {"MaxPool", "AveragePool"}) {
      Node n = make_node(op, 1, a);
      SCOPED_TRACE(op);
      expect_close(run_impl(n, 13, {&r}, "pool2d", 2), run_impl(n, 13, {&r}), 1e-5);
    }
  for (const char* op : {"GlobalAveragePool", "GlobalMaxPool"}) {
    Tensor y = run_impl(make_node(op, 1), 13, {&r}, "pool2d", 2);
    EXPECT_EQ(shape_str(y.shape()), "[2,3,1,1,1]");
    expect_close(y, run_impl(make_node(op, 1), 13, {&r}), 1e-6);
  }
}

TEST(PoolOp, FourDimensionalWindowsNameTheNode) {
  Tensor x = iota({1, 1, 2, 2, 2, 2});
  Node n = make_node("MaxPool", 1, {{"kernel_shape", Ints{2, 2, 2, 2}}});
  n.name = "mp4";
  test::expect_error<UnsupportedError>([&] { run1(n, 13, {&x}); }, {"4-D pooling"}, "mp4");
}

TEST(PoolOp, UnsupportedIndicesAndBadKernelNameTheNode) {
  Tensor x = iota({1, 1, 4, 4});
  Node idx = make_node("MaxPool", 1, {{"kernel_shape", Ints{2, 2}}}, 2);
  idx.name = "mp";
  try {
    run1(idx, 13, {&x});
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("MaxPool node 'mp'"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run1(make_node("MaxPool", 1, {{"kernel_shape", Ints{5, 5}}}), 13, {&x}), ModelError);
  EXPECT_THROW(run1(make_node("AveragePool", 1), 13, {&x}), ModelError);
}

}  // namespace
}  // namespace sinter::testing
