#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "math_op_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

// Softmax of x viewed as [outer, n, inner] along the middle dim, by definition.
std::vector<double> softmax_expected(const Tensor& x, int64_t outer, int64_t n, int64_t inner,
                                     bool log) {
  std::vector<double> y(x.numel());
  const float* p = x.data<float>();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t i = 0; i < inner; ++i) {
      double m = -INFINITY, sum = 0;
      for (int64_t k = 0; k < n; ++k) m = std::max<double>(m, p[(o * n + k) * inner + i]);
      for (int64_t k = 0; k < n; ++k) sum += std::exp(p[(o * n + k) * inner + i] - m);
      for (int64_t k = 0; k < n; ++k) {
        double v = p[(o * n + k) * inner + i] - m;
        y[(o * n + k) * inner + i] = log ? v - std::log(sum) : std::exp(v) / sum;
      }
    }
  return y;
}

TEST(SoftmaxOp, AxisSemanticsBeforeAndFromOpset13) {
  Tensor x = random_tensor({2, 3, 4}, 1, -3, 3);
  for (bool log : {false, true}) {
    const char* op = log ? "LogSoftmax" : "Softmax";
    SCOPED_TRACE(op);
    // Opset 13: one axis.
    expect_values(run1(make_node(op, 1), 13, {&x}), softmax_expected(x, 6, 4, 1, log), 1e-5);
    expect_values(run1(make_node(op, 1, {{"axis", int64_t(1)}}), 13, {&x}),
                  softmax_expected(x, 2, 3, 4, log), 1e-5);
    expect_values(run1(make_node(op, 1, {{"axis", int64_t(0)}}), 13, {&x}),
                  softmax_expected(x, 1, 2, 12, log), 1e-5);
    // Opset 11: coerced to 2-D at axis (default 1).
    expect_values(run1(make_node(op, 1), 11, {&x}), softmax_expected(x, 2, 12, 1, log), 1e-5);
    expect_values(run1(make_node(op, 1, {{"axis", int64_t(-1)}}), 11, {&x}),
                  softmax_expected(x, 6, 4, 1, log), 1e-5);
    Node mid = make_node(op, 1, {{"axis", int64_t(1)}});
    Tensor big = random_tensor({3, 40, 700}, 2, -5, 5);
    expect_close(run_impl(mid, 13, {&big}, "softmax", 2), run_impl(mid, 13, {&big}), 1e-5);
  }
}

TEST(SoftmaxOp, BadAxisNamesTheNode) {
  Tensor x = random_tensor({2, 3}, 1);
  Node n = make_node("Softmax", 1, {{"axis", int64_t(2)}});
  n.name = "sm";
  try {
    run1(n, 13, {&x});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("Softmax node 'sm'"), std::string::npos);
  }
}

TEST(SoftmaxOp, HostileAxisNamesTheAttribute) {
  Tensor x = random_tensor({2, 3}, 1);
  for (const char* op : {"Softmax", "LogSoftmax"})
    for (int64_t axis : {int64_t{2}, int64_t{-3}, std::numeric_limits<int64_t>::min()})
      for (int64_t opset : {11, 13})
        test::expect_error<ModelError>(
            [&] {
              run1(make_node(op, 1, {{"axis", axis}}), opset, {&x});
            },
            {"attribute 'axis' = " + std::to_string(axis), "out of range"}, "n0");
}

}  // namespace
}  // namespace sinter::testing
