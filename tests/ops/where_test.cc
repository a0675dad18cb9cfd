#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Where, ThreeWayBroadcast) {
  auto out =
      run(make_node("Where", 3), 13,
          {t<bool>({2, 1}, {true, false}), t<float>({3}, {1, 2, 3}), Tensor::scalar<float>(0)});
  expect_tensor<float>(out[0], {2, 3}, {1, 2, 3, 0, 0, 0});
}

TEST(Where, AnyDtype) {
  auto out = run(
      make_node("Where", 3), 13,
      {t<bool>({3}, {true, false, true}), t<int8_t>({3}, {1, 2, 3}), t<int8_t>({3}, {-1, -2, -3})});
  expect_tensor<int8_t>(out[0], {3}, {1, -2, 3});
  out = run(make_node("Where", 3), 13, {t<bool>({2}, {false, true}), i64({1, 2}), i64({3, 4})});
  expect_tensor<int64_t>(out[0], {2}, {3, 2});
}

TEST(Where, BadInputs) {
  expect_node_error(
      [] {
        run(make_node("Where", 3), 13, {iota_f({2}), iota_f({2}), iota_f({2})});
      },
      "bool");
  expect_node_error([] {
    run(make_node("Where", 3), 13, {t<bool>({2}, {true, false}), iota_f({2}), i64({1, 2})});
  });
  expect_node_error(
      [] {
        run(make_node("Where", 3), 13, {t<bool>({2}, {true, false}), iota_f({3}), iota_f({3})});
      },
      "broadcast");
}

}  // namespace sinter::test
