#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(ArgMax, KeepdimsAndAxis) {
  Tensor x = t<float>({2, 3}, {1, 5, 5, 7, 2, 7});
  expect_tensor<int64_t>(run(make_node("ArgMax", 1), 13, {x})[0], {1, 3}, {1, 0, 1});
  expect_tensor<int64_t>(
      run(make_node("ArgMax", 1, 1, {{"axis", int64_t{-1}}, {"keepdims", int64_t{0}}}), 13, {x})[0],
      {2}, {1, 0});
  expect_tensor<int64_t>(
      run(make_node(
              "ArgMax", 1, 1,
              {{"axis", int64_t{1}}, {"keepdims", int64_t{0}}, {"select_last_index", int64_t{1}}}),
          13, {x})[0],
      {2}, {2, 2});
}

TEST(ArgMin, IntegerInput) {
  Tensor x = t<int32_t>({2, 2}, {3, -1, -1, 4});
  expect_tensor<int64_t>(run(make_node("ArgMin", 1, 1, {{"axis", int64_t{1}}}), 13, {x})[0], {2, 1},
                         {1, 0});
  expect_tensor<int64_t>(run(make_node("ArgMin", 1, 1, {{"keepdims", int64_t{0}}}), 13, {x})[0],
                         {2}, {1, 0});
}

TEST(ArgMax, BadAxis) {
  expect_node_error(
      [] {
        run(make_node("ArgMax", 1, 1, {{"axis", int64_t{2}}}), 13, {iota_f({2, 2})});
      },
      "out of range");
  expect_node_error([] { run(make_node("ArgMax", 1), 13, {iota_f({0, 2})}); }, "size 0");
}

TEST(ArgMax, HostileAxisNamesTheAttribute) {
  for (const char* op : {"ArgMax", "ArgMin"})
    for (int64_t axis : {int64_t{2}, int64_t{-3}, std::numeric_limits<int64_t>::min()})
      expect_error<ModelError>(
          [&] {
            run(make_node(op, 1, 1, {{"axis", axis}}), 13, {iota_f({2, 3})});
          },
          {"attribute 'axis' = " + std::to_string(axis), "out of range for rank 2"});
}

}  // namespace sinter::test
