#include <gtest/gtest.h>

#include <cmath>

#include "math_op_test_util.h"

namespace sinter::testing {
namespace {

Node gelu_node(const std::string& approximate) {
  Node n = make_node("Gelu", 1, {{"approximate", approximate}});
  n.name = "node_under_test";
  return n;
}

double exact_gelu(double x) { return 0.5 * x * (1 + std::erf(x / std::sqrt(2.0))); }
double tanh_gelu(double x) {
  return 0.5 * x * (1 + std::tanh(std::sqrt(2 / M_PI) * (x + 0.044715 * x * x * x)));
}

TEST(Gelu, HandWorkedValues) {
  Tensor x = Tensor::from_vector<float>({4}, {-1, 0, 1, 2});
  expect_values(run1(gelu_node("none"), 20, {&x}), {-0.15865525, 0, 0.84134475, 1.95449974});
  expect_values(run1(gelu_node("tanh"), 20, {&x}), {-0.15880801, 0, 0.84119199, 1.95459769});
}

// Both kernels against the formula in double, over sizes around the chunk and thread splits, at
// one and two threads.
TEST(Gelu, KernelsMatchTheDefinitionOverSizes) {
  for (const char* approximate : {"none", "tanh"})
    for (int64_t n : {1, 7, 1023, 1024, 1025, 40000, 70001}) {
      SCOPED_TRACE(std::string(approximate) + " n=" + std::to_string(n));
      Tensor x = random_tensor({n}, static_cast<uint32_t>(n), -6.0f, 6.0f);
      std::vector<double> want;
      for (int64_t i = 0; i < n; ++i)
        want.push_back(std::string(approximate) == "tanh" ? tanh_gelu(x.data<float>()[i])
                                                          : exact_gelu(x.data<float>()[i]));
      Node node = gelu_node(approximate);
      expect_values(run_impl(node, 20, {&x}, "reference"), want, 1e-5);
      for (int threads : {1, 2})
        expect_values(run_impl(node, 20, {&x}, "eltwise", threads), want, 1e-5);
    }
}

TEST(Gelu, BadAttributeAndOpset) {
  Tensor x = Tensor::from_vector<float>({1}, {1});
  try {
    run1(gelu_node("fast"), 20, {&x});
    ADD_FAILURE() << "expected an error";
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("node_under_test"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("attribute 'approximate' = 'fast'"), std::string::npos)
        << e.what();
  }
  EXPECT_THROW(run1(gelu_node("none"), 19, {&x}), UnsupportedError);
}

}  // namespace
}  // namespace sinter::testing
