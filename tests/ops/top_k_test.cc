#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(TopK, LargestAlongLastAxis) {
  auto out =
      run(make_node("TopK", 2, 2), 11, {t<float>({2, 4}, {1, 4, 3, 4, 0, -1, 5, 2}), i64({2})});
  expect_tensor<float>(out[0], {2, 2}, {4, 4, 5, 2});
  expect_tensor<int64_t>(out[1], {2, 2}, {1, 3, 2, 3});
}

TEST(TopK, SmallestAlongAxis0AndAttributeK) {
  auto out = run(make_node("TopK", 2, 2, {{"axis", int64_t{0}}, {"largest", int64_t{0}}}), 11,
                 {t<int32_t>({3, 2}, {5, 1, 2, 7, 9, 0}), i64({1})});
  expect_tensor<int32_t>(out[0], {1, 2}, {2, 0});
  expect_tensor<int64_t>(out[1], {1, 2}, {1, 2});
  out = run(make_node("TopK", 1, 2, {{"k", int64_t{1}}}), 9, {t<float>({3}, {1, 3, 2})});
  expect_tensor<float>(out[0], {1}, {3});
  expect_tensor<int64_t>(out[1], {1}, {1});
}

TEST(TopK, BadK) {
  expect_node_error(
      [] {
        run(make_node("TopK", 2, 2), 11, {iota_f({3}), i64({4})});
      },
      "out of range");
  expect_node_error([] { run(make_node("TopK", 2, 2), 11, {iota_f({3}), i64({1, 2})}); });
}

TEST(TopK, HostileKAndAxisNameTheArgument) {
  Node n = make_node("TopK", 2, 2);
  expect_error<ModelError>(
      [&] {
        run(n, 11, {iota_f({3}), i64({-1})});
      },
      {"input 'K' = -1 is negative"});
  expect_error<ModelError>(
      [&] {
        run(n, 11, {iota_f({3}), i64({std::numeric_limits<int64_t>::max()})});
      },
      {"input 'K' = " + std::to_string(std::numeric_limits<int64_t>::max()), "out of range"});
  expect_error<ModelError>(
      [] {
        run(make_node("TopK", 1, 2, {{"k", int64_t{-5}}}), 9, {iota_f({3})});
      },
      {"attribute 'k' = -5 is negative"});
  expect_error<ModelError>(
      [] {
        run(make_node("TopK", 2, 2, {{"axis", int64_t{1} << 32}}), 11, {iota_f({3}), i64({1})});
      },
      {"attribute 'axis' = 4294967296", "out of range"});
}

}  // namespace sinter::test
