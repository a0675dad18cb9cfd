#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

using Attrs = std::map<std::string, Attribute>;

void check(const char* op, const std::function<double(double)>& f, Attrs attrs = {},
           int64_t opset = 13, float lo = -3.0f, float hi = 3.0f) {
  SCOPED_TRACE(op);
  Tensor x = random_tensor({3, 70001}, 7, lo, hi);  // long enough to split over threads
  Node n = make_node(op, 1, attrs);
  std::vector<double> want;
  for (int64_t i = 0; i < x.numel(); ++i) want.push_back(f(x.data<float>()[i]));
  expect_values(run_impl(n, opset, {&x}, "", 1), want, 1e-5);
  expect_values(run_impl(n, opset, {&x}, op_for(n, opset).impls.front().name, 2), want, 1e-5);
}

TEST(UnaryOp, EachOpMatchesItsDefinition) {
  check("Relu", [](double x) { return x > 0 ? x : 0; });
  check("Sigmoid", [](double x) { return 1 / (1 + std::exp(-x)); });
  check("Tanh", [](double x) { return std::tanh(x); });
  check("HardSigmoid", [](double x) { return std::clamp(0.3 * x + 0.4, 0.0, 1.0); },
        {{"alpha", 0.3f}, {"beta", 0.4f}});
  check(
      "HardSwish", [](double x) { return x * std::clamp(x / 6 + 0.5, 0.0, 1.0); }, {}, 14);
  check("LeakyRelu", [](double x) { return x >= 0 ? x : 0.2 * x; }, {{"alpha", 0.2f}});
  check("Erf", [](double x) { return std::erf(x); });
  check(
      "Sqrt", [](double x) { return std::sqrt(x); }, {}, 13, 0.0f, 4.0f);
  check("Exp", [](double x) { return std::exp(x); });
  check(
      "Log", [](double x) { return std::log(x); }, {}, 13, 0.1f, 4.0f);
  check("Neg", [](double x) { return -x; });
  check("Abs", [](double x) { return std::abs(x); });
  check(
      "Reciprocal", [](double x) { return 1 / x; }, {}, 13, 0.5f, 4.0f);
  check("Floor", [](double x) { return std::floor(x); });
  check("Ceil", [](double x) { return std::ceil(x); });
  check("Softplus", [](double x) { return std::log1p(std::exp(x)); });
  check("Softsign", [](double x) { return x / (1 + std::abs(x)); });
  check("Elu", [](double x) { return x >= 0 ? x : 0.5 * std::expm1(x); }, {{"alpha", 0.5f}});
  check("Selu", [](double x) {
    return 1.0507009873554805 * (x > 0 ? x : 1.6732632423543772 * std::expm1(x));
  });
  check("Round", [](double x) { return std::nearbyint(x); });
  check("Cos", [](double x) { return std::cos(x); });
  check(
      "Atanh", [](double x) { return std::atanh(x); }, {}, 13, -0.9f, 0.9f);
  check("ThresholdedRelu", [](double x) { return x > 0.5 ? x : 0; }, {{"alpha", 0.5f}});
  check("Celu", [](double x) { return std::max(0.0, x) + std::min(0.0, 2 * std::expm1(x / 2)); },
        {{"alpha", 2.0f}});
  check("Sign", [](double x) { return x > 0 ? 1 : (x < 0 ? -1 : 0); });
}

TEST(UnaryOp, ClipAttributesBeforeOpset11InputsAfter) {
  Tensor x = Tensor::from_vector<float>({5}, {-3, -1, 0, 2, 9});
  expect_values(run1(make_node("Clip", 1, {{"min", -1.5f}, {"max", 2.5f}}), 6, {&x}),
                {-1.5, -1, 0, 2, 2.5});
  Tensor lo = Tensor::scalar<float>(-0.5f), hi = Tensor::scalar<float>(1.0f);
  expect_values(run1(make_node("Clip", 3), 13, {&x, &lo, &hi}), {-0.5, -0.5, 0, 1, 1});
  Node only_max = make_node("Clip", 3);
  only_max.inputs[1] = "";
  expect_values(run1(only_max, 13, {&x, nullptr, &hi}), {-3, -1, 0, 1, 1});
  expect_values(run1(make_node("Clip", 1), 13, {&x}), {-3, -1, 0, 2, 9});
  Tensor xi = Tensor::from_vector<int64_t>({3}, {-5, 3, 100});
  Tensor loi = Tensor::scalar<int64_t>(0), hii = Tensor::scalar<int64_t>(10);
  expect_values(run1(make_node("Clip", 3), 13, {&xi, &loi, &hii}), {0, 3, 10});
}

TEST(UnaryOp, IntegerNegAbsAndBadType) {
  Tensor x = Tensor::from_vector<int64_t>({3}, {-2, 0, 5});
  expect_values(run1(make_node("Neg", 1), 13, {&x}), {2, 0, -5});
  expect_values(run1(make_node("Abs", 1), 13, {&x}), {2, 0, 5});
  Node n = make_node("Exp", 1);
  n.name = "e1";
  try {
    run1(n, 13, {&x});
    FAIL();
  } catch (const UnsupportedError& e) {
    EXPECT_NE(std::string(e.what()).find("Exp node 'e1'"), std::string::npos);
  }
}

// Negating the smallest integer wraps to itself; Clip's float attributes saturate to the integer
// range (float(INT64_MAX), the default bound, does not convert back otherwise).
TEST(UnaryOp, IntegerEdgesAreDefined) {
  constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  Tensor x = Tensor::from_vector<int64_t>({2}, {kMin, 3});
  EXPECT_EQ(run1(make_node("Neg", 1), 13, {&x}).data<int64_t>()[0], kMin);
  EXPECT_EQ(run1(make_node("Abs", 1), 13, {&x}).data<int64_t>()[0], kMin);
  Tensor y = run1(make_node("Clip", 1), 6, {&x});
  EXPECT_EQ(y.data<int64_t>()[0], kMin);
  EXPECT_EQ(y.data<int64_t>()[1], 3);
  y = run1(make_node("Clip", 1, {{"min", -1e30f}, {"max", 2.5f}}), 6, {&x});
  EXPECT_EQ(y.data<int64_t>()[0], kMin);
  EXPECT_EQ(y.data<int64_t>()[1], 2);
}

}  // namespace
}  // namespace sinter::testing
