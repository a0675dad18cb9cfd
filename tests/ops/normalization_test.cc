#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <map>

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

// Normalization by definition: the elements with the same group_of(i) share a mean and a
// (population) variance, and element i takes scale and bias affine_of(i).
std::vector<double> by_definition(const Tensor& x, const Tensor& scale, const Tensor* bias,
                                  double eps, const std::function<int64_t(int64_t)>& group_of,
                                  const std::function<int64_t(int64_t)>& affine_of) {
  const float* v = x.data<float>();
  std::map<int64_t, double> sum, sq, count;
  for (int64_t i = 0; i < x.numel(); ++i) sum[group_of(i)] += v[i], count[group_of(i)] += 1;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t g = group_of(i);
    const double d = v[i] - sum[g] / count[g];
    sq[g] += d * d;
  }
  std::vector<double> y;
  for (int64_t i = 0; i < x.numel(); ++i) {
    const int64_t g = group_of(i), k = affine_of(i);
    const double mean = sum[g] / count[g], var = sq[g] / count[g];
    y.push_back((v[i] - mean) / std::sqrt(var + eps) * scale.data<float>()[k] +
                (bias ? bias->data<float>()[k] : 0.0));
  }
  return y;
}

// The optimized kernel (on 2 threads) and the reference oracle both give the definition.
void expect_definition(const Node& n, int64_t opset, const std::vector<const Tensor*>& in,
                       const std::vector<double>& want) {
  SCOPED_TRACE(n.op_type);
  expect_values(run_impl(n, opset, in, "row_norm", 2), want, 2e-5);
  expect_values(run_impl(n, opset, in), want, 2e-5);
}

TEST(LayerNormalizationOp, MatchesDefinitionOverShapesAxesAndEpsilon) {
  uint32_t seed = 10;
  for (const Shape& shape : {Shape{7}, Shape{3, 17}, Shape{2, 5, 33}, Shape{2, 3, 4, 9}})
    for (int64_t axis = -static_cast<int64_t>(shape.size()); axis < int64_t(shape.size()); ++axis)
      for (float eps : {1e-5f, 0.5f}) {
        const int64_t rank = static_cast<int64_t>(shape.size()), a = axis < 0 ? axis + rank : axis;
        int64_t cols = 1;
        for (int64_t d = a; d < rank; ++d) cols *= shape[d];
        const int64_t last = shape.back();
        Tensor x = random_tensor(shape, ++seed, -3.0f, 5.0f);
        // Scale and bias of the whole normalized shape, and broadcast from its last axis / one
        // value.
        const Shape norm(shape.begin() + a, shape.end());
        Tensor full_scale = random_tensor(norm, ++seed), full_bias = random_tensor(norm, ++seed);
        Tensor last_scale = random_tensor({last}, ++seed), one_bias = random_tensor({1}, ++seed);
        Node n = make_node("LayerNormalization", 3, {{"axis", axis}, {"epsilon", eps}});
        SCOPED_TRACE(shape_str(shape) + " axis " + std::to_string(axis));
        auto row = [cols](int64_t i) { return i / cols; };
        expect_definition(n, 17, {&x, &full_scale, &full_bias},
                          by_definition(x, full_scale, &full_bias, eps, row,
                                        [cols](int64_t i) { return i % cols; }));
        // by_definition's bias is per affine index: check the broadcast one by adding it after.
        std::vector<double> want =
            by_definition(x, last_scale, nullptr, eps, row, [last](int64_t i) { return i % last; });
        for (double& w : want) w += one_bias.data<float>()[0];
        expect_definition(n, 17, {&x, &last_scale, &one_bias}, want);
        Node no_bias = make_node("LayerNormalization", 2, {{"axis", axis}, {"epsilon", eps}});
        expect_definition(no_bias, 17, {&x, &last_scale},
                          by_definition(x, last_scale, nullptr, eps, row,
                                        [last](int64_t i) { return i % last; }));
      }
}

TEST(LayerNormalizationOp, StatisticsOfTheOptimizedKernel) {
  Tensor x = random_tensor({4, 6, 50}, 3, 10.0f, 12.0f), s = random_tensor({50}, 4);
  Node n = make_node("LayerNormalization", 2, {}, 3);
  const OpDef& def = op_for(n, 17);
  ASSERT_EQ(def.impls.front().name, "row_norm");
  auto outs = evaluate_node(n, 17, {&x, &s});
  EXPECT_EQ(shape_str(outs[1].shape()), "[4,6,1]");
  for (int64_t r = 0; r < 24; ++r) {
    double sum = 0, sq = 0;
    for (int64_t i = 0; i < 50; ++i) sum += x.data<float>()[r * 50 + i];
    for (int64_t i = 0; i < 50; ++i) sq += std::pow(x.data<float>()[r * 50 + i] - sum / 50, 2);
    EXPECT_NEAR(outs[1].data<float>()[r], sum / 50, 1e-5);
    EXPECT_NEAR(outs[2].data<float>()[r], 1 / std::sqrt(sq / 50 + 1e-5), 1e-4);
  }
}

TEST(LayerNormalizationOp, DisagreeingScaleOrBiasNamesTheNode) {
  Tensor x = random_tensor({2, 3, 4}, 1), s4 = random_tensor({4}, 2), s3 = random_tensor({3}, 3);
  Tensor s34 = random_tensor({3, 4}, 4), s5 = random_tensor({5, 3, 4}, 5);
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("LayerNormalization", 2), 17, {&x, &s3});
      },
      {"Scale [3]", "does not broadcast to the normalized shape [4]"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("LayerNormalization", 3), 17, {&x, &s4, &s3});
      },
      {"B [3]", "does not broadcast"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("LayerNormalization", 2, {{"axis", int64_t{1}}}), 17, {&x, &s5});
      },
      {"Scale [5,3,4]", "[3,4]"}, "n0");
  EXPECT_NO_THROW(run1(make_node("LayerNormalization", 2, {{"axis", int64_t{1}}}), 17, {&x, &s34}));
}

TEST(LayerNormalizationOp, StashType) {
  Tensor x = random_tensor({2, 8}, 1), s = random_tensor({8}, 2);
  // Statistics computed in double serve any floating stash_type when they are not outputs.
  Tensor want = run1(make_node("LayerNormalization", 2), 17, {&x, &s});
  expect_close(
      run1(make_node("LayerNormalization", 2, {{"stash_type", int64_t{11}}}), 17, {&x, &s}), want,
      1e-7);
  test::expect_error<UnsupportedError>(
      [&] {
        run1(make_node("LayerNormalization", 2, {{"stash_type", int64_t{11}}}, 3), 17, {&x, &s});
      },
      {"stash_type=11", "Mean or InvStdDev"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("LayerNormalization", 2, {{"stash_type", int64_t{7}}}), 17, {&x, &s});
      },
      {"attribute 'stash_type' = 7"}, "n0");
}

TEST(InstanceNormalizationOp, MatchesDefinition) {
  for (const Shape& shape : {Shape{1, 3, 5}, Shape{2, 4, 7, 9}, Shape{2, 2, 3, 4, 5}}) {
    Tensor x = random_tensor(shape, 1, -2.0f, 4.0f), s = random_tensor({shape[1]}, 2);
    Tensor b = random_tensor({shape[1]}, 3);
    const int64_t channels = shape[1], spatial = shape_numel(shape) / shape[0] / shape[1];
    Node n = make_node("InstanceNormalization", 3, {{"epsilon", 1e-3f}});
    SCOPED_TRACE(shape_str(shape));
    expect_definition(n, 6, {&x, &s, &b},
                      by_definition(
                          x, s, &b, 1e-3, [spatial](int64_t i) { return i / spatial; },
                          [=](int64_t i) { return i / spatial % channels; }));
  }
}

TEST(GroupNormalizationOp, HandComputed) {
  // Two groups of two channels of two values: group 0 holds 1, 3, 5, 7 (mean 4, variance 5).
  Tensor x = Tensor::from_vector<float>({1, 4, 2}, {1, 3, 5, 7, 0, 0, 2, 2});
  Tensor s = Tensor::from_vector<float>({2}, {1, 2}), b = Tensor::from_vector<float>({2}, {0, 1});
  Node n = make_node("GroupNormalization", 3, {{"num_groups", int64_t{2}}, {"epsilon", 0.0f}});
  const double r = 1 / std::sqrt(5.0);
  expect_values(run1(n, 18, {&x, &s, &b}), {-3 * r, -r, r, 3 * r, -1, -1, 3, 3}, 1e-6);
  // Opset 21: a scale and bias per channel.
  Tensor s4 = Tensor::from_vector<float>({4}, {1, 2, 3, 4});
  Tensor b4 = Tensor::from_vector<float>({4}, {0, 0, 0, 1});
  expect_values(run1(n, 21, {&x, &s4, &b4}), {-3 * r, -r, 2 * r, 6 * r, -3, -3, 5, 5}, 1e-6);
}

TEST(GroupNormalizationOp, MatchesDefinition) {
  for (const Shape& shape : {Shape{2, 6, 5}, Shape{1, 8, 7, 7}, Shape{2, 4, 2, 3, 3}})
    for (int64_t groups : {int64_t{1}, int64_t{2}, shape[1]})
      for (int64_t opset : {18, 21}) {
        const int64_t channels = shape[1], spatial = shape_numel(shape) / shape[0] / channels;
        const int64_t per_group = channels / groups * spatial;
        const int64_t affine = opset >= 21 ? channels : groups;
        Tensor x = random_tensor(shape, 5, -1.0f, 3.0f), s = random_tensor({affine}, 6);
        Tensor b = random_tensor({affine}, 7);
        Node n = make_node("GroupNormalization", 3, {{"num_groups", groups}});
        SCOPED_TRACE(shape_str(shape) + " groups " + std::to_string(groups) + " opset " +
                     std::to_string(opset));
        expect_definition(n, opset, {&x, &s, &b},
                          by_definition(
                              x, s, &b, 1e-5, [=](int64_t i) { return i / per_group; },
                              [=](int64_t i) {
                                return opset >= 21 ? i / spatial % channels
                                                   : i / per_group % groups;
                              }));
      }
}

TEST(GroupNormalizationOp, BadGroupsOrScaleNameTheNode) {
  Tensor x = random_tensor({1, 6, 4}, 1), s4 = random_tensor({4}, 2), s6 = random_tensor({6}, 3);
  Tensor s3 = random_tensor({3}, 4);
  auto node = [](std::map<std::string, Attribute> attrs) {
    return make_node("GroupNormalization", 3, std::move(attrs));
  };
  test::expect_error<ModelError>(
      [&] {
        run1(node({{"num_groups", int64_t{4}}}), 18, {&x, &s4, &s4});
      },
      {"attribute 'num_groups' = 4 does not divide the 6 channels"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(node({}), 18, {&x, &s3, &s3});
      },
      {"missing required attribute 'num_groups'"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(node({{"num_groups", int64_t{0}}}), 18, {&x, &s3, &s3});
      },
      {"attribute 'num_groups' = 0 must be positive"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(node({{"num_groups", int64_t{3}}, {"stash_type", int64_t{6}}}), 21, {&x, &s6, &s6});
      },
      {"attribute 'stash_type' = 6 is not a floating-point type"}, "n0");
  // Opset 18 takes a value per group, opset 21 one per channel.
  test::expect_error<ModelError>(
      [&] {
        run1(node({{"num_groups", int64_t{3}}}), 18, {&x, &s6, &s6});
      },
      {"scale must have shape [3], got [6]"}, "n0");
  test::expect_error<ModelError>(
      [&] {
        run1(node({{"num_groups", int64_t{3}}}), 21, {&x, &s6, &s3});
      },
      {"bias must have shape [6], got [3]"}, "n0");
}

TEST(InstanceNormalizationOp, WrongScaleNamesTheNode) {
  Tensor x = random_tensor({1, 3, 4}, 1), s2 = random_tensor({2}, 2), s3 = random_tensor({3}, 3);
  test::expect_error<ModelError>(
      [&] {
        run1(make_node("InstanceNormalization", 3), 6, {&x, &s2, &s3});
      },
      {"scale must have shape [3], got [2]"}, "n0");
}

}  // namespace
}  // namespace sinter::testing
