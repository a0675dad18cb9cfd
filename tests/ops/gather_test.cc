#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Gather, Axis0WithNegativeIndices) {
  auto out = run(make_node("Gather", 2), 13, {iota_f({3, 2}), i64({2, -3})});
  expect_tensor<float>(out[0], {2, 2}, {4, 5, 0, 1});
}

TEST(Gather, Axis1Int32IndicesMatrix) {
  auto out = run(make_node("Gather", 2, 1, {{"axis", int64_t{-1}}}), 13,
                 {iota_f({2, 3}), t<int32_t>({2, 2}, {0, 2, 1, 1})});
  expect_tensor<float>(out[0], {2, 2, 2}, {0, 2, 1, 1, 3, 5, 4, 4});
}

TEST(Gather, ScalarIndexDropsTheAxis) {
  auto out =
      run(make_node("Gather", 2), 13, {t<int64_t>({3}, {10, 20, 30}), Tensor::scalar<int64_t>(1)});
  expect_tensor<int64_t>(out[0], {}, {20});
}

TEST(Gather, ByteDtypes) {
  auto out = run(make_node("Gather", 2), 13, {t<uint8_t>({4}, {1, 2, 3, 4}), i64({3, 0})});
  expect_tensor<uint8_t>(out[0], {2}, {4, 1});
}

TEST(Gather, BadInputs) {
  expect_node_error(
      [] {
        run(make_node("Gather", 2), 13, {iota_f({3}), i64({3})});
      },
      "out of range");
  expect_node_error(
      [] {
        run(make_node("Gather", 2, 1, {{"axis", int64_t{2}}}), 13, {iota_f({3, 2}), i64({0})});
      },
      "out of range");
  expect_node_error(
      [] {
        run(make_node("Gather", 2), 13, {iota_f({3}), t<float>({1}, {0})});
      },
      "indices");
}

TEST(Gather, RuntimeIndexOutOfRange) {
  // Indices not known at plan time are checked by the kernel.
  Node n = make_node("Gather", 2);
  KernelInfo ki{n, 13, {vt(DType::kFloat32, {3}), vt(DType::kInt64, {1})}, {}, {nullptr, nullptr},
                1};
  auto k = choose_kernel(op_for(n, 13), ki).create(ki);
  Tensor x = iota_f({3}), idx = i64({-4}), y(DType::kFloat32, {1});
  KernelContext kc;
  kc.inputs = {&x, &idx};
  kc.outputs = {&y};
  expect_node_error([&] { k->run(kc); }, "out of range");
}

TEST(Gather, HostileAxisNamesTheAttribute) {
  for (int64_t axis : {int64_t{2}, std::numeric_limits<int64_t>::min()})
    expect_error<ModelError>(
        [&] {
          run(make_node("Gather", 2, 1, {{"axis", axis}}), 13, {iota_f({3, 2}), i64({0})});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range for rank 2"});
  expect_error<ModelError>(
      [] {
        run(make_node("Gather", 2), 13, {iota_f({3}), i64({std::numeric_limits<int64_t>::min()})});
      },
      {"input 'indices' holds"});
}

}  // namespace sinter::test
