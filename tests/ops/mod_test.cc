#include <cmath>
#include <limits>
#include <random>

#include "core/float16.h"
#include "shape_op_test_util.h"

namespace sinter::test {

Node mod_node(int64_t fmod = 0) { return make_node("Mod", 2, 1, {{"fmod", fmod}}); }

TEST(Mod, HandWorkedSignsOfIntegers) {
  Tensor a = t<int32_t>({6}, {-4, 7, 5, 4, -7, 8}), b = t<int32_t>({6}, {2, -3, 8, -2, 3, 5});
  // fmod 0: the divisor's sign; fmod 1: the dividend's.
  expect_tensor<int32_t>(run(mod_node(0), 13, {a, b})[0], {6}, {0, -2, 5, 0, 2, 3});
  expect_tensor<int32_t>(run(mod_node(1), 13, {a, b})[0], {6}, {0, 1, 5, 0, -1, 3});
}

TEST(Mod, FloatsAndBroadcast) {
  auto out = run(mod_node(1), 10, {t<float>({2, 2}, {-4.5f, 7.5f, 5, -7}), t<float>({2}, {2, -3})});
  expect_tensor<float>(out[0], {2, 2}, {-0.5f, 1.5f, 1, -1});
  auto d = run(mod_node(1), 13, {t<double>({1}, {5.5}), t<double>({}, {2})});
  expect_tensor<double>(d[0], {1}, {1.5});
  auto u = run(mod_node(0), 13, {t<uint8_t>({2}, {200, 7}), t<uint8_t>({1}, {6})});
  expect_tensor<uint8_t>(u[0], {2}, {2, 1});
}

TEST(Mod, SmallestIntegerByMinusOne) {
  const int64_t lo = std::numeric_limits<int64_t>::min();
  for (int64_t fmod : {0, 1})
    expect_tensor<int64_t>(run(mod_node(fmod), 13, {i64({lo}), i64({-1})})[0], {1}, {0});
}

// Independent definition over small integers: a - b * floor(a / b) (fmod 0) or with trunc (1).
TEST(Mod, MatchesTheDefinitionOverShapesAndTypes) {
  std::mt19937 gen(9);
  for (int trial = 0; trial < 200; ++trial) {
    Shape sa, sb;
    const int rank = 1 + trial % 3;
    for (int d = 0; d < rank; ++d) {
      const int64_t n = 1 + static_cast<int64_t>(gen() % 4);
      const unsigned pick = gen() % 3;
      sa.push_back(pick == 1 ? 1 : n);
      sb.push_back(pick == 2 ? 1 : n);
    }
    const int64_t fmod = trial % 2;
    Tensor a16(DType::kInt16, sa), b(DType::kInt16, sb);
    for (int64_t i = 0; i < a16.numel(); ++i)
      a16.data<int16_t>()[i] = static_cast<int16_t>(static_cast<int>(gen() % 201) - 100);
    for (int64_t i = 0; i < b.numel(); ++i) {
      int v = static_cast<int>(gen() % 21) - 10;
      b.data<int16_t>()[i] = static_cast<int16_t>(v == 0 ? 7 : v);
    }
    const Shape out = broadcast_shapes(sa, sb);
    const auto ost = shape_strides(out), ast = shape_strides(sa), bst = shape_strides(sb);
    std::vector<int16_t> want;
    for (int64_t o = 0; o < shape_numel(out); ++o) {
      int64_t ia = 0, ib = 0;
      for (int d = 0; d < rank; ++d) {
        const int64_t c = (o / ost[d]) % out[d];
        ia += (sa[d] == 1 ? 0 : c) * ast[d];
        ib += (sb[d] == 1 ? 0 : c) * bst[d];
      }
      const double x = a16.data<int16_t>()[ia], y = b.data<int16_t>()[ib];
      const double q = fmod ? std::trunc(x / y) : std::floor(x / y);
      want.push_back(static_cast<int16_t>(x - y * q));
    }
    expect_tensor<int16_t>(run(mod_node(fmod), 13, {a16, b})[0], out, want);
  }
}

TEST(Mod, Float16RunsInFloat32) {
  Tensor a(DType::kFloat16, {3}), b(DType::kFloat16, {3});
  const float av[] = {-4.5f, 7.5f, 5.0f}, bv[] = {2.0f, -3.0f, 0.75f};
  for (int i = 0; i < 3; ++i) {
    static_cast<uint16_t*>(a.raw())[i] = float_to_half(av[i]);
    static_cast<uint16_t*>(b.raw())[i] = float_to_half(bv[i]);
  }
  Tensor y = run(mod_node(1), 13, {a, b})[0];
  ASSERT_EQ(y.dtype(), DType::kFloat16);
  const float want[] = {-0.5f, 1.5f, 0.5f};
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(half_to_float(static_cast<const uint16_t*>(y.raw())[i]), want[i]) << "at " << i;
}

TEST(Mod, BadInputsNameTheNode) {
  expect_error<InputError>(
      [] {
        run(mod_node(), 13, {i64({3}), i64({0})});
      },
      {"integer Mod by zero"});
  expect_error<ModelError>(
      [] {
        run(mod_node(0), 13, {iota_f({2}), iota_f({2})});
      },
      {"attribute 'fmod' must be 1 for float32"});
  expect_error<ModelError>(
      [] {
        run(mod_node(2), 13, {i64({1}), i64({1})});
      },
      {"attribute 'fmod'"});
  expect_error<ModelError>([] { run(mod_node(), 13, {i64({1, 2}), i64({1, 2, 3})}); }, {});
  expect_error<ModelError>(
      [] {
        run(mod_node(), 13, {i64({1}), t<int32_t>({1}, {1})});
      },
      {"input 1 has type int32"});
}

}  // namespace sinter::test
