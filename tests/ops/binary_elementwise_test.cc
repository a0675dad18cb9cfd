#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

TEST(BinaryOp, BroadcastingArithmetic) {
  Tensor a = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor row = Tensor::from_vector<float>({3}, {10, 20, 30});
  Tensor col = Tensor::from_vector<float>({2, 1}, {2, 4});
  expect_values(run1(make_node("Add", 2), 13, {&a, &row}), {11, 22, 33, 14, 25, 36});
  expect_values(run1(make_node("Sub", 2), 13, {&row, &a}), {9, 18, 27, 6, 15, 24});
  expect_values(run1(make_node("Mul", 2), 13, {&a, &col}), {2, 4, 6, 16, 20, 24});
  expect_values(run1(make_node("Div", 2), 13, {&a, &col}), {0.5, 1, 1.5, 1, 1.25, 1.5});
  Tensor sq = run1(make_node("Pow", 2), 13, {&a, &col});
  expect_values(sq, {1, 4, 9, 256, 625, 1296});
  Tensor e = Tensor::scalar<int64_t>(3);
  expect_values(run1(make_node("Pow", 2), 13, {&a, &e}), {1, 8, 27, 64, 125, 216});
  // [2,1] op [3] broadcasts both ways.
  Tensor both = run1(make_node("Add", 2), 13, {&col, &row});
  EXPECT_EQ(shape_str(both.shape()), "[2,3]");
  expect_values(both, {12, 22, 32, 14, 24, 34});
}

TEST(BinaryOp, VariadicMaxMinSumMean) {
  Tensor a = Tensor::from_vector<float>({3}, {1, 5, 3});
  Tensor b = Tensor::from_vector<float>({3}, {4, 2, 3});
  Tensor c = Tensor::from_vector<float>({2, 1}, {0, 10});
  expect_values(run1(make_node("Max", 3), 13, {&a, &b, &c}), {4, 5, 3, 10, 10, 10});
  expect_values(run1(make_node("Min", 2), 13, {&a, &b}), {1, 2, 3});
  expect_values(run1(make_node("Sum", 3), 13, {&a, &b, &c}), {5, 7, 6, 15, 17, 16});
  expect_values(run1(make_node("Mean", 2), 13, {&a, &b}), {2.5, 3.5, 3});
  expect_values(run1(make_node("Sum", 1), 13, {&a}), {1, 5, 3});
}

TEST(BinaryOp, Int64ShapeArithmetic) {
  Tensor a = Tensor::from_vector<int64_t>({2}, {7, -7});
  Tensor b = Tensor::scalar<int64_t>(2);
  expect_values(run1(make_node("Div", 2), 13, {&a, &b}), {3, -3});
  expect_values(run1(make_node("Mul", 2), 13, {&a, &b}), {14, -14});
  expect_values(run1(make_node("Add", 2), 13, {&a, &b}), {9, -5});
  expect_values(run1(make_node("Max", 2), 13, {&a, &b}), {7, 2});
  Tensor z = Tensor::scalar<int64_t>(0);
  EXPECT_THROW(run1(make_node("Div", 2), 13, {&a, &z}), InputError);
}

TEST(BinaryOp, KernelMatchesReferenceOnLargeBroadcasts) {
  Tensor x = random_tensor({2, 16, 40, 40}, 1), ch = random_tensor({16, 1, 1}, 2);
  for (const char* op : {"Add", "Sub", "Mul", "Div", "Max", "Min"}) {
    Node n = make_node(op, 2);
    expect_close(run_impl(n, 13, {&x, &ch}, "eltwise", 2), run_impl(n, 13, {&x, &ch}), 1e-6);
    expect_close(run_impl(n, 13, {&x, &x}, "eltwise", 2), run_impl(n, 13, {&x, &x}), 1e-6);
  }
}

TEST(BinaryOp, PReluPerChannelSlope) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {-1, 2, -4, 3});
  Tensor s = Tensor::from_vector<float>({2, 1}, {0.5, 0.25});
  expect_values(run1(make_node("PRelu", 2), 13, {&x, &s}), {-0.5, 2, -1, 3});
}

TEST(BinaryOp, IncompatibleShapesNameTheNode) {
  Tensor a = random_tensor({2, 3}, 1), b = random_tensor({4}, 2);
  Node n = make_node("Add", 2);
  n.name = "add9";
  try {
    run1(n, 13, {&a, &b});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Add node 'add9'"), std::string::npos) << e.what();
  }
  Tensor i = Tensor::from_vector<int64_t>({3}, {1, 2, 3}), f = random_tensor({3}, 3);
  EXPECT_THROW(run1(make_node("Add", 2), 13, {&i, &f}), ModelError);
}

// Integer overflow wraps around instead of being undefined; INT64_MIN / -1 used to trap (SIGFPE).
TEST(BinaryOp, IntegerOverflowWraps) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  Tensor a = Tensor::from_vector<int64_t>({2}, {kMin, kMax});
  Tensor m1 = Tensor::scalar<int64_t>(-1), two = Tensor::scalar<int64_t>(2);
  auto values = [](const Tensor& t) {
    return std::vector<int64_t>(t.data<int64_t>(), t.data<int64_t>() + t.numel());
  };
  EXPECT_EQ(values(run1(make_node("Div", 2), 13, {&a, &m1})), (std::vector<int64_t>{kMin, -kMax}));
  EXPECT_EQ(values(run1(make_node("Mul", 2), 13, {&a, &two})), (std::vector<int64_t>{0, -2}));
  EXPECT_EQ(values(run1(make_node("Add", 2), 13, {&a, &m1})),
            (std::vector<int64_t>{kMax, kMax - 1}));
  EXPECT_EQ(values(run1(make_node("Sub", 2), 13, {&a, &two})),
            (std::vector<int64_t>{kMax - 1, kMax - 2}));
  Tensor i32 = Tensor::from_vector<int32_t>({1}, {std::numeric_limits<int32_t>::min()});
  Tensor i32m1 = Tensor::scalar<int32_t>(-1);
  EXPECT_EQ(run1(make_node("Div", 2), 13, {&i32, &i32m1}).data<int32_t>()[0],
            std::numeric_limits<int32_t>::min());
  EXPECT_EQ(run1(make_node("Mul", 2), 13, {&i32, &i32}).data<int32_t>()[0], 0);
}

}  // namespace
}  // namespace sinter::testing
