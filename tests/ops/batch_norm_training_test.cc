// BatchNormTraining and BatchNormTrainingGrad (domain "sinter"): outputs against the formulas,
// running statistics as PyTorch moves them, shape checks, and the gradient rule against central
// finite differences (only the wanted outputs of the gradient op are made).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "ir/graph_builder.h"
#include "math_op_test_util.h"
#include "runtime/session.h"
#include "train/autodiff.h"

namespace sinter::testing {
namespace {

Node batch_norm_node(float epsilon, float momentum) {
  return make_node("BatchNormTraining", 5, {{"epsilon", epsilon}, {"momentum", momentum}}, 5,
                   "sinter");
}

TEST(BatchNormTrainingOp, OutputsFollowTheFormulasAndPyTorchRunningStatistics) {
  const Shape shape = {3, 2, 2, 3};
  Tensor x = random_tensor(shape, 1, -2.0f, 3.0f);
  Tensor scale = random_tensor({2}, 2, 0.5f, 1.5f), bias = random_tensor({2}, 3);
  Tensor running_mean = random_tensor({2}, 4), running_var = random_tensor({2}, 5, 0.5f, 2.0f);
  const std::vector<Tensor> out = evaluate_node(batch_norm_node(1e-3f, 0.8f), 13,
                                                {&x, &scale, &bias, &running_mean, &running_var});
  ASSERT_EQ(out.size(), 5u);
  std::vector<double> y(x.numel());
  for (int64_t c = 0; c < 2; ++c) {
    std::vector<int64_t> at;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 6; ++i) at.push_back((n * 2 + c) * 6 + i);
    double sum = 0, sq = 0;
    for (int64_t i : at) sum += x.data<float>()[i];
    const double mean = sum / 18;
    for (int64_t i : at) sq += std::pow(x.data<float>()[i] - mean, 2);
    const double inv_std = 1 / std::sqrt(sq / 18 + 1e-3);
    for (int64_t i : at)
      y[i] = (x.data<float>()[i] - mean) * inv_std * scale.data<float>()[c] + bias.data<float>()[c];
    EXPECT_NEAR(out[1].data<float>()[c], 0.8 * running_mean.data<float>()[c] + 0.2 * mean, 1e-6);
    EXPECT_NEAR(out[2].data<float>()[c], 0.8 * running_var.data<float>()[c] + 0.2 * sq / 17, 1e-6);
    EXPECT_NEAR(out[3].data<float>()[c], mean, 1e-6);
    EXPECT_NEAR(out[4].data<float>()[c], inv_std, 1e-5 * inv_std);
  }
  expect_values(out[0], y, 1e-5);
  // The fused kernel on two threads and the reference give the same Y.
  const std::vector<const Tensor*> in = {&x, &scale, &bias, &running_mean, &running_var};
  expect_close(run_impl(batch_norm_node(1e-3f, 0.8f), 13, in, "fused", 2),
               run_impl(batch_norm_node(1e-3f, 0.8f), 13, in, "reference"), 1e-5);
}

TEST(BatchNormTrainingOp, RejectsMismatchedShapes) {
  Tensor x = random_tensor({2, 3, 4}, 1), c3 = random_tensor({3}, 2), c4 = random_tensor({4}, 3);
  EXPECT_THROW(evaluate_node(batch_norm_node(1e-5f, 0.9f), 13, {&x, &c3, &c4, &c3, &c3}),
               ModelError);
  Tensor dy = random_tensor({2, 3, 5}, 4);
  Node grad = make_node("BatchNormTrainingGrad", 5, {}, 3, "sinter");
  EXPECT_THROW(evaluate_node(grad, 13, {&dy, &x, &c3, &c3, &c3}), ModelError);
  Tensor dy_ok = random_tensor({2, 3, 4}, 5);
  EXPECT_EQ(evaluate_node(grad, 13, {&dy_ok, &x, &c3, &c3, &c3}).size(), 3u);
}

// y = BatchNormTraining(x, scale, bias, ...) and loss = sum(y * r) for a fixed random r, with
// the given parameters differentiated; `use_running_mean` adds the updated running mean to it.
struct Built {
  Graph forward, backward;
  std::vector<std::string> grads;
  std::unordered_map<std::string, Tensor> feeds;
};

Built build(const Shape& shape, const std::vector<std::string>& wrt,
            bool use_running_mean = false) {
  GraphBuilder b;
  std::unordered_map<std::string, Tensor> values = {
      {"x", random_tensor(shape, 11, -2.0f, 2.0f)},
      {"scale", random_tensor({shape[1]}, 12, 0.5f, 1.5f)},
      {"bias", random_tensor({shape[1]}, 13)}};
  for (const auto& [name, t] : values) b.weight(name, t);
  b.node("BatchNormTraining",
         {"x", "scale", "bias", b.weight("rm", random_tensor({shape[1]}, 14)),
          b.weight("rv", random_tensor({shape[1]}, 15, 0.5f, 1.5f))},
         {{"epsilon", 1e-5f}, {"momentum", 0.9f}}, 5, "sinter");
  const std::vector<std::string> outs = b.last_outputs();
  std::string loss =
      b.node("ReduceSum", {b.node("Mul", {outs[0], b.weight("r", random_tensor(shape, 16))})},
             {{"keepdims", int64_t{0}}});
  if (use_running_mean)
    loss = b.node("Add", {loss, b.node("ReduceSum", {outs[1]}, {{"keepdims", int64_t{0}}})});
  b.output(loss);
  Built out;
  out.forward = b.build();
  out.backward = out.forward;
  out.grads = append_gradients(out.backward, loss, wrt);
  for (Graph* g : {&out.forward, &out.backward})
    for (const std::string& p : wrt) {
      g->initializers.erase(p);
      g->inputs.push_back(p);
    }
  for (const std::string& p : wrt) out.feeds[p] = values.at(p);
  return out;
}

const Node& gradient_node(const Graph& g) {
  auto it = std::find_if(g.nodes.begin(), g.nodes.end(),
                         [](const Node& n) { return n.op_type == "BatchNormTrainingGrad"; });
  EXPECT_NE(it, g.nodes.end());
  return *it;
}

TEST(BatchNormTrainingOp, GradientMatchesFiniteDifferences) {
  for (const Shape& shape : {Shape{3, 2, 2, 3}, Shape{6, 3}}) {
    SCOPED_TRACE(shape_str(shape));
    const std::vector<std::string> wrt = {"x", "scale", "bias"};
    Built c = build(shape, wrt);
    Session fs(c.forward, {1, false, false});
    Session bs(c.backward, {2, false, false});
    const std::vector<Tensor> out = bs.run(c.feeds);
    ASSERT_EQ(out.size(), 4u);
    const float eps = 1e-2f;
    for (size_t p = 0; p < wrt.size(); ++p) {
      const Tensor& value = c.feeds.at(wrt[p]);
      for (int64_t i = 0; i < value.numel(); ++i) {
        auto loss_at = [&](float delta) {
          auto f = c.feeds;
          f[wrt[p]] = value.clone();
          f[wrt[p]].data<float>()[i] += delta;
          return fs.run(f)[0].data<float>()[0];
        };
        const float numeric = (loss_at(eps) - loss_at(-eps)) / (2 * eps);
        EXPECT_NEAR(out[1 + p].data<float>()[i], numeric,
                    3e-3f * std::max(1.0f, std::fabs(numeric)))
            << "d loss / d " << wrt[p] << "[" << i << "]";
      }
    }
  }
}

TEST(BatchNormTrainingOp, GradientOpMakesOnlyTheWantedOutputs) {
  const Shape shape = {2, 3, 4};
  struct Want {
    std::vector<std::string> wrt;
    std::vector<bool> outputs;  // dX, dscale, dbias
  };
  for (const Want& w : {Want{{"x"}, {true, false, false}}, Want{{"scale"}, {false, true, false}},
                        Want{{"bias", "scale"}, {false, true, true}}}) {
    Built c = build(shape, w.wrt);
    const Node& n = gradient_node(c.backward);
    ASSERT_EQ(n.outputs.size(), 3u);
    for (size_t i = 0; i < 3; ++i) EXPECT_EQ(!n.outputs[i].empty(), w.outputs[i]) << i;
    const std::vector<Tensor> out = Session(c.backward, {1, false, false}).run(c.feeds);
    EXPECT_EQ(out.size(), 1 + w.wrt.size());
  }
}

TEST(BatchNormTrainingOp, RunningStatisticsTakeNoGradient) {
  EXPECT_THROW(build({2, 3, 4}, {"x"}, true), UnsupportedError);
}

}  // namespace
}  // namespace sinter::testing
