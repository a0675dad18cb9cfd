#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Size, CountsElements) {
  expect_tensor<int64_t>(run(make_node("Size", 1), 13, {iota_f({2, 3, 4})})[0], {}, {24});
  expect_tensor<int64_t>(run(make_node("Size", 1), 13, {Tensor(DType::kInt8, {0, 3})})[0], {}, {0});
  expect_tensor<int64_t>(run(make_node("Size", 1), 13, {b1(true)})[0], {}, {1});
}

TEST(Size, DynamicShapeHasScalarType) {
  auto types = infer(make_node("Size", 1), 13, {vt(DType::kFloat32, {-1, 3})});
  EXPECT_TRUE(types[0].has_shape);
  EXPECT_EQ(types[0].shape, Shape{});
  EXPECT_EQ(types[0].dtype, DType::kInt64);
}

}  // namespace sinter::test
