#include <limits>

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

template <class T>
std::vector<Tensor> scalars(T start, T limit, T delta) {
  return {Tensor::scalar<T>(start), Tensor::scalar<T>(limit), Tensor::scalar<T>(delta)};
}

TEST(Range, NonFiniteOrHugeFloatBoundsAreRefused) {
  Node n = make_node("Range", 3);
  const float inf = std::numeric_limits<float>::infinity();
  const float nan = std::numeric_limits<float>::quiet_NaN();
  // A double -> int64 cast of these lengths would be undefined behaviour.
  for (const auto& in : {scalars<float>(nan, 1, 1), scalars<float>(0, inf, 1),
                         scalars<float>(0, 1, nan), scalars<float>(-inf, inf, 1)})
    expect_error<ModelError>([&] { run(n, 11, in); }, {"inputs 'start'", "must be finite"});
  expect_error<ModelError>([&] { run(n, 11, scalars<float>(0, 1e30f, 1)); },
                           {"inputs 'start'", "'delta' = 1", "more than 2^63 elements"});
  expect_error<ModelError>([&] { run(n, 11, scalars<double>(0, 1, 1e-300)); },
                           {"inputs 'start'", "more than 2^63 elements"});
  // 2^62 elements fit int64, their bytes do not.
  expect_error<ModelError>([&] { run(n, 11, scalars<float>(0, 0x1p62f, 1)); },
                           {"inputs 'start', 'limit' and 'delta'", "2^63 bytes"});
  expect_error<InputError>([&] { run(n, 11, scalars<double>(0, 1, 0)); }, {"input 'delta'"});
}

TEST(Range, IntegerLengthsAreExact) {
  Node n = make_node("Range", 3);
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  // limit - start does not fit int64, the length does.
  expect_tensor<int64_t>(run(n, 11, scalars<int64_t>(kMin, kMax, int64_t{1} << 62))[0], {4},
                         {kMin, -(int64_t{1} << 62), 0, int64_t{1} << 62});
  expect_tensor<int64_t>(run(n, 11, scalars<int64_t>(kMax, kMin, kMin))[0], {2}, {kMax, -1});
  // The step after the last element would leave int32: it is not taken.
  expect_tensor<int32_t>(run(n, 11, scalars<int32_t>(1 << 30, 2147483647, 1 << 30))[0], {1},
                         {1 << 30});
  expect_error<ModelError>([&] { run(n, 11, scalars<int64_t>(kMin, kMax, 1)); },
                           {"inputs 'start' = " + std::to_string(kMin), "more than 2^63 elements"});
  expect_error<ModelError>([&] { run(n, 11, scalars<int64_t>(0, int64_t{1} << 62, 1)); },
                           {"inputs 'start', 'limit' and 'delta'", "2^63 bytes"});
}

}  // namespace sinter::test
