#include <limits>

#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Constant, TensorValue) {
  Tensor v = t<float>({2, 2}, {1, 2, 3, 4});
  auto out = run(make_node("Constant", 0, 1, {{"value", v}}), 13, {});
  expect_tensor<float>(out[0], {2, 2}, {1, 2, 3, 4});
}

TEST(Constant, ScalarAndListAttributes) {
  expect_tensor<float>(run(make_node("Constant", 0, 1, {{"value_float", 2.5f}}), 13, {})[0], {},
                       {2.5f});
  expect_tensor<int64_t>(run(make_node("Constant", 0, 1, {{"value_int", int64_t{7}}}), 13, {})[0],
                         {}, {7});
  expect_tensor<float>(
      run(make_node("Constant", 0, 1, {{"value_floats", std::vector<float>{1, 2}}}), 13, {})[0],
      {2}, {1, 2});
  expect_tensor<int64_t>(
      run(make_node("Constant", 0, 1, {{"value_ints", std::vector<int64_t>{3, 4, 5}}}), 13, {})[0],
      {3}, {3, 4, 5});
}

TEST(Constant, InferenceGivesTheValue) {
  Node n = make_node("Constant", 0, 1, {{"value_ints", std::vector<int64_t>{3, 4}}});
  InferContext ic{n, 13, {}, {}, {}, {}};
  ic.output_values.resize(1);
  op_for(n, 13).infer(ic);
  ASSERT_TRUE(ic.output_values[0].has_value());
  expect_tensor<int64_t>(*ic.output_values[0], {2}, {3, 4});
}

TEST(Constant, MissingOrUnsupportedValue) {
  expect_node_error([] { run(make_node("Constant", 0, 1), 13, {}); });
  expect_node_error(
      [] {
        run(make_node("Constant", 0, 1, {{"value_string", std::string("x")}}), 13, {});
      },
      "value_string");
}

TEST(ConstantOfShape, DefaultsToFloatZero) {
  auto out = run(make_node("ConstantOfShape", 1), 13, {i64({2, 3})});
  expect_tensor<float>(out[0], {2, 3}, std::vector<float>(6, 0.f));
}

TEST(ConstantOfShape, ValueAttributeDecidesDtype) {
  auto out =
      run(make_node("ConstantOfShape", 1, 1, {{"value", t<int32_t>({1}, {9})}}), 13, {i64({3})});
  expect_tensor<int32_t>(out[0], {3}, {9, 9, 9});
  out =
      run(make_node("ConstantOfShape", 1, 1, {{"value", t<int64_t>({1}, {1})}}), 13, {i64({2, 0})});
  expect_tensor<int64_t>(out[0], {2, 0}, {});
  out = run(make_node("ConstantOfShape", 1, 1, {{"value", t<float>({1}, {1.5f})}}), 13,
            {Tensor(DType::kInt64, {0})});
  expect_tensor<float>(out[0], {}, {1.5f});
}

TEST(ConstantOfShape, UnknownShapeValueGivesRank) {
  auto types = infer(make_node("ConstantOfShape", 1), 13, {vt(DType::kInt64, {3})});
  EXPECT_EQ(types[0].shape, (Shape{-1, -1, -1}));
}

TEST(ConstantOfShape, BadInput) {
  expect_node_error([] { run(make_node("ConstantOfShape", 1), 13, {i64({2, -1})}); }, "negative");
  expect_node_error([] {
    run(make_node("ConstantOfShape", 1, 1, {{"value", t<float>({2}, {1, 2})}}), 13, {i64({2})});
  });
}

TEST(ConstantOfShape, HostileShapesNameTheInput) {
  Node n = make_node("ConstantOfShape", 1);
  expect_error<ModelError>(
      [&] {
        run(n, 13, {i64({2, std::numeric_limits<int64_t>::min()})});
      },
      {"input 'input'[1]", "is negative"});
  // 2^32 * 2^32 elements overflow; 2^62 floats are more than 2^63 bytes.
  expect_error<ModelError>(
      [&] {
        run(n, 13, {i64({int64_t{1} << 32, int64_t{1} << 32})});
      },
      {"input 'input'", "2^63 bytes"});
  expect_error<ModelError>([&] { run(n, 13, {i64({int64_t{1} << 62})}); },
                           {"input 'input'", "2^63 bytes"});
  expect_error<ModelError>([&] { run(n, 13, {i64(std::vector<int64_t>(65, 1))}); },
                           {"input 'input' has 65 entries"});
}

}  // namespace sinter::test
