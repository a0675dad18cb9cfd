// The ReluGrad op: values, both implementations, and the shape check.
#include <gtest/gtest.h>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

Node relu_grad_node() { return make_node("ReluGrad", 2, {}, 1, "sinter"); }

TEST(ReluGradOp, PassesDyWhereYIsPositive) {
  Tensor dy = Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor y = Tensor::from_vector<float>({2, 3}, {0.5f, 0, -0.0f, 2, 1e-30f, 0});
  for (const char* impl : {"eltwise", "reference"})
    expect_values(run_impl(relu_grad_node(), 13, {&dy, &y}, impl), {1, 0, 0, 4, 5, 0});
}

TEST(ReluGradOp, ThreadedMatchesReference) {
  Tensor dy = random_tensor({8, 16, 29, 31}, 1), y = random_tensor({8, 16, 29, 31}, 2);
  expect_close(run_impl(relu_grad_node(), 13, {&dy, &y}, "eltwise", 2),
               run_impl(relu_grad_node(), 13, {&dy, &y}, "reference", 1), 0);
}

TEST(ReluGradOp, RejectsDifferentShapes) {
  Tensor dy = random_tensor({2, 3}, 1), y = random_tensor({3, 2}, 2);
  EXPECT_THROW(run1(relu_grad_node(), 13, {&dy, &y}), ModelError);
}

}  // namespace
}  // namespace sinter::testing
