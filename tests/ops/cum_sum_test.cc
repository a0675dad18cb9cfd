#include <random>

#include "shape_op_test_util.h"

namespace sinter::test {

Node cum_sum_node(int64_t exclusive = 0, int64_t reverse = 0) {
  return make_node("CumSum", 2, 1, {{"exclusive", exclusive}, {"reverse", reverse}});
}

TEST(CumSum, HandWorkedOptionsIn1D) {
  Tensor x = t<float>({5}, {1, 2, 3, 4, 5}), axis = Tensor::scalar<int32_t>(0);
  expect_tensor<float>(run(cum_sum_node(), 11, {x, axis})[0], {5}, {1, 3, 6, 10, 15});
  expect_tensor<float>(run(cum_sum_node(1), 11, {x, axis})[0], {5}, {0, 1, 3, 6, 10});
  expect_tensor<float>(run(cum_sum_node(0, 1), 14, {x, axis})[0], {5}, {15, 14, 12, 9, 5});
  expect_tensor<float>(run(cum_sum_node(1, 1), 14, {x, axis})[0], {5}, {14, 12, 9, 5, 0});
}

TEST(CumSum, HandWorkedAxesIn2D) {
  Tensor x = t<int64_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  expect_tensor<int64_t>(run(cum_sum_node(), 14, {x, i64({0})})[0], {2, 3}, {1, 2, 3, 5, 7, 9});
  expect_tensor<int64_t>(run(cum_sum_node(), 14, {x, Tensor::scalar<int64_t>(-1)})[0], {2, 3},
                         {1, 3, 6, 4, 9, 15});
}

// Independent definition: each output element sums the elements before (or after, reversed) it
// along the axis, itself included unless exclusive.
TEST(CumSum, MatchesTheDefinitionOverShapesAxesAndOptions) {
  std::mt19937 gen(3);
  for (int trial = 0; trial < 200; ++trial) {
    const int rank = 1 + trial % 4;
    Shape s;
    for (int d = 0; d < rank; ++d) s.push_back(1 + static_cast<int64_t>(gen() % 5));
    const int64_t axis = static_cast<int64_t>(gen() % rank);
    const int64_t exclusive = trial % 2, reverse = (trial / 2) % 2;
    Tensor x(DType::kInt32, s);
    for (int64_t i = 0; i < x.numel(); ++i)
      x.data<int32_t>()[i] = static_cast<int32_t>(gen() % 21) - 10;
    const auto st = shape_strides(s);
    std::vector<int32_t> want(static_cast<size_t>(x.numel()));
    for (int64_t i = 0; i < x.numel(); ++i) {
      const int64_t c = (i / st[axis]) % s[axis];
      int32_t sum = 0;
      for (int64_t j = 0; j < s[axis]; ++j) {
        const bool counted = reverse ? j > c : j < c;
        if (counted || (!exclusive && j == c)) sum += x.data<int32_t>()[i + (j - c) * st[axis]];
      }
      want[static_cast<size_t>(i)] = sum;
    }
    const int64_t given = trial % 3 ? axis : axis - rank;
    auto out = run(cum_sum_node(exclusive, reverse), 14, {x, Tensor::scalar<int64_t>(given)});
    expect_tensor<int32_t>(out[0], s, want);
  }
}

TEST(CumSum, BadInputsNameTheNode) {
  expect_error<ModelError>(
      [] {
        run(cum_sum_node(), 14, {iota_f({2, 2}), i64({2})});
      },
      {"input 'axis' = 2 is out of range for rank 2"});
  expect_error<ModelError>(
      [] {
        run(cum_sum_node(), 14, {iota_f({2, 2}), i64({0, 1})});
      },
      {"input 'axis' must hold one value"});
  expect_error<ModelError>(
      [] {
        run(cum_sum_node(), 14, {iota_f({2}), t<float>({1}, {0})});
      },
      {"input 'axis' must be int32 or int64"});
}

TEST(CumSum, RuntimeAxisOutOfRange) {
  // An axis known only at run time is checked by the kernel.
  Node n = cum_sum_node();
  KernelInfo ki{n,
                14,
                {vt(DType::kFloat32, {3}), vt(DType::kInt64, {})},
                {vt(DType::kFloat32, {3})},
                {nullptr, nullptr}};
  auto k = choose_kernel(op_for(n, 14), ki).create(ki);
  Tensor x = iota_f({3}), axis = Tensor::scalar<int64_t>(-2), y(DType::kFloat32, {3});
  KernelContext kc;
  kc.inputs = {&x, &axis};
  kc.outputs = {&y};
  expect_error<InputError>([&] { k->run(kc); }, {"input 'axis' = [-2] is not one axis of rank 1"});
}

}  // namespace sinter::test
