#include "shape_op_test_util.h"

namespace sinter::test {

TEST(Range, IntAndFloat) {
  Node n = make_node("Range", 3);
  expect_tensor<int32_t>(run(n, 11,
                             {Tensor::scalar<int32_t>(10), Tensor::scalar<int32_t>(4),
                              Tensor::scalar<int32_t>(-3)})[0],
                         {2}, {10, 7});
  expect_tensor<float>(run(n, 11,
                           {Tensor::scalar<float>(1.f), Tensor::scalar<float>(2.f),
                            Tensor::scalar<float>(0.25f)})[0],
                       {4}, {1.f, 1.25f, 1.5f, 1.75f});
  expect_tensor<int64_t>(
      run(n, 11,
          {Tensor::scalar<int64_t>(5), Tensor::scalar<int64_t>(1), Tensor::scalar<int64_t>(1)})[0],
      {0}, {});
}

TEST(Range, UnknownValuesGiveUnknownLength) {
  auto types = infer(make_node("Range", 3), 11,
                     {vt(DType::kInt64, {}), vt(DType::kInt64, {}), vt(DType::kInt64, {})});
  EXPECT_EQ(types[0].shape, (Shape{-1}));
}

TEST(Range, BadInputs) {
  Node n = make_node("Range", 3);
  expect_node_error(
      [&] {
        run(n, 11,
            {Tensor::scalar<int64_t>(0), Tensor::scalar<int64_t>(3), Tensor::scalar<int64_t>(0)});
      },
      "delta");
  expect_node_error(
      [&] {
        run(n, 11,
            {Tensor::scalar<int64_t>(0), Tensor::scalar<int32_t>(3), Tensor::scalar<int64_t>(1)});
      },
      "dtype");
}

}  // namespace sinter::test
