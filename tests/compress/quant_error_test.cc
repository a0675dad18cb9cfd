#include "compress/quant_error.h"

#include <gtest/gtest.h>

#include "quant_test_util.h"

namespace sinter {
namespace {

TEST(QuantError, MeanSquaredAndLargest) {
  const Tensor a = Tensor::from_vector<float>({2, 2}, {1.f, 2.f, 3.f, 4.f});
  const Tensor b = Tensor::from_vector<float>({2, 2}, {1.5f, 2.f, 1.f, 4.f});
  const QuantError e = quantization_error(a, b);
  EXPECT_DOUBLE_EQ(e.mse, (0.25 + 4.0) / 4);
  EXPECT_DOUBLE_EQ(e.max_abs, 2.0);
  EXPECT_EQ(quantization_error(a, a).mse, 0.0);
  EXPECT_EQ(quantization_error(Tensor(DType::kFloat32, {0}), Tensor(DType::kFloat32, {0})).mse,
            0.0);
}

TEST(QuantError, MismatchedInputs) {
  const Tensor a(DType::kFloat32, {4});
  quant_test::expect_error<InputError>(
      [&] {
        quantization_error(a, Tensor(DType::kFloat32, {2, 2}));
      },
      {"[4]", "[2,2]"});
  quant_test::expect_error<InputError>([&] { quantization_error(a, Tensor(DType::kInt8, {4})); },
                                       {"float32", "int8"});
}

}  // namespace
}  // namespace sinter
