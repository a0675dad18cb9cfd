#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Compare, BroadcastingFloat) {
  Tensor a = t<float>({2, 2}, {1, 2, 3, 4}), b = t<float>({2}, {2, 3});
  expect_tensor<bool>(run(make_node("Equal", 2), 13, {a, b})[0], {2, 2},
                      {false, false, false, false});
  expect_tensor<bool>(run(make_node("Less", 2), 13, {a, b})[0], {2, 2}, {true, true, false, false});
  expect_tensor<bool>(run(make_node("Greater", 2), 13, {a, b})[0], {2, 2},
                      {false, false, true, true});
  expect_tensor<bool>(run(make_node("LessOrEqual", 2), 13, {a, b})[0], {2, 2},
                      {true, true, false, false});
  expect_tensor<bool>(run(make_node("GreaterOrEqual", 2), 13, {a, b})[0], {2, 2},
                      {false, false, true, true});
}

TEST(Compare, IntegerTypes) {
  expect_tensor<bool>(run(make_node("Equal", 2), 13, {i64({1, 2}), i64({1, 3})})[0], {2},
                      {true, false});
  expect_tensor<bool>(
      run(make_node("Less", 2), 13, {t<int32_t>({2}, {-1, 5}), Tensor::scalar<int32_t>(0)})[0], {2},
      {true, false});
  expect_tensor<bool>(run(make_node("Equal", 2), 13, {t<bool>({2}, {true, false}), b1(false)})[0],
                      {2}, {false, true});
}

TEST(Logical, AndOrXorNot) {
  Tensor a = t<bool>({4}, {false, false, true, true}), b = t<bool>({4}, {false, true, false, true});
  expect_tensor<bool>(run(make_node("And", 2), 13, {a, b})[0], {4}, {false, false, false, true});
  expect_tensor<bool>(run(make_node("Or", 2), 13, {a, b})[0], {4}, {false, true, true, true});
  expect_tensor<bool>(run(make_node("Xor", 2), 13, {a, b})[0], {4}, {false, true, true, false});
  expect_tensor<bool>(run(make_node("Not", 1), 13, {a})[0], {4}, {true, true, false, false});
  expect_tensor<bool>(run(make_node("And", 2), 13, {a, b1(true)})[0], {4},
                      {false, false, true, true});
}

TEST(Compare, BadInputs) {
  expect_node_error([] { run(make_node("Equal", 2), 13, {iota_f({2}), i64({1, 2})}); }, "dtype");
  expect_node_error([] { run(make_node("Less", 2), 13, {iota_f({2}), iota_f({3})}); }, "broadcast");
  expect_node_error([] { run(make_node("And", 2), 13, {iota_f({2}), iota_f({2})}); }, "bool");
  expect_node_error([] { run(make_node("Not", 1), 13, {iota_f({2})}); }, "bool");
  expect_node_error([] { run(make_node("LessOrEqual", 2), 11, {iota_f({2}), iota_f({2})}); });
}

}  // namespace sinter::test
