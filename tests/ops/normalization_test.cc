#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "math_op_test_util.h"
#include "shape_op_test_util.h"

namespace sinter::testing {
namespace {

TEST(BatchNormalizationOp, MatchesFormula) {
  Tensor x = random_tensor({2, 3, 4, 5}, 1);
  Tensor scale = random_tensor({3}, 2), bias = random_tensor({3}, 3), mean = random_tensor({3}, 4);
  Tensor var = random_tensor({3}, 5, 0.1f, 2.0f);
  Node n = make_node("BatchNormalization", 5, {{"epsilon", 1e-3f}});
  Tensor y = run1(n, 9, {&x, &scale, &bias, &mean, &var});
  std::vector<double> want;
  for (int64_t i = 0; i < x.numel(); ++i) {
    int64_t c = (i / 20) % 3;
    double v = x.data<float>()[i];
    want.push_back((v - mean.data<float>()[c]) / std::sqrt(var.data<float>()[c] + 1e-3) *
                       scale.data<float>()[c] +
                   bias.data<float>()[c]);
  }
  expect_values(y, want, 1e-5);
  Tensor x2 = random_tensor({4, 3}, 6);  // rank 2: no spatial dims
  EXPECT_EQ(run1(n, 15, {&x2, &scale, &bias, &mean, &var}).numel(), 12);
}

TEST(BatchNormalizationOp, RejectsWrongChannelCountAndTrainingOutputs) {
  Tensor x = random_tensor({1, 3, 2, 2}, 1);
  Tensor c4 = random_tensor({4}, 2), c3 = random_tensor({3}, 3);
  Node n = make_node("BatchNormalization", 5);
  n.name = "bn7";
  try {
    run1(n, 13, {&x, &c4, &c3, &c3, &c3});
    FAIL();
  } catch (const ModelError& e) {
    EXPECT_NE(std::string(e.what()).find("bn7"), std::string::npos);
  }
  Node t = make_node("BatchNormalization", 5, {}, 3);
  EXPECT_THROW(run1(t, 13, {&x, &c3, &c3, &c3, &c3}), UnsupportedError);
}

TEST(InstanceNormalizationOp, NormalizesEachImageAndChannel) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2}, {1, 3, 10, 20});
  Tensor s = Tensor::from_vector<float>({2}, {2, 1}), b = Tensor::from_vector<float>({2}, {0, 5});
  Tensor y = run1(make_node("InstanceNormalization", 3, {{"epsilon", 0.0f}}), 13, {&x, &s, &b});
  expect_values(y, {-2, 2, 4, 6}, 1e-5);
}

TEST(LayerNormalizationOp, NormalizesTrailingAxesWithStats) {
  Tensor x = Tensor::from_vector<float>({2, 2}, {1, 3, 2, 6});
  Tensor s = Tensor::from_vector<float>({2}, {1, 2}), b = Tensor::from_vector<float>({2}, {0, 1});
  Node n = make_node("LayerNormalization", 3, {{"epsilon", 0.0f}}, 3);
  auto outs = evaluate_node(n, 17, {&x, &s, &b});
  expect_values(outs[0], {-1, 3, -1, 3}, 1e-5);
  expect_values(outs[1], {2, 4}, 1e-6);
  expect_values(outs[2], {1, 0.5}, 1e-6);
  EXPECT_EQ(shape_str(outs[1].shape()), "[2,1]");
}

TEST(LayerNormalizationOp, HostileAxisNamesTheAttribute) {
  Tensor x = random_tensor({2, 3}, 1), scale = random_tensor({3}, 2);
  for (int64_t axis : {int64_t{2}, std::numeric_limits<int64_t>::max()})
    test::expect_error<ModelError>(
        [&] {
          run1(make_node("LayerNormalization", 2, {{"axis", axis}}), 17, {&x, &scale});
        },
        {"attribute 'axis' = " + std::to_string(axis), "out of range"}, "n0");
}

}  // namespace
}  // namespace sinter::testing
