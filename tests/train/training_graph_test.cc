// make_training_graph: batch statistics, dropout masks, the cross-entropy loss and the appended
// backward pass, checked against finite differences, PyTorch's running-statistics rule, and a
// short run of real training.
#include "train/training_graph.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "../ops/math_op_test_util.h"
#include "core/error.h"
#include "data/data_loader.h"
#include "data/fashion_mnist.h"
#include "ir/graph_builder.h"
#include "runtime/session.h"
#include "train/model_zoo.h"
#include "train/sgd.h"

namespace sinter {
namespace {

using testing::random_tensor;

Tensor one_hot(const std::vector<int64_t>& labels, int64_t classes) {
  Tensor t(DType::kFloat32, {static_cast<int64_t>(labels.size()), classes});
  for (size_t i = 0; i < labels.size(); ++i) t.data<float>()[i * classes + labels[i]] = 1.0f;
  return t;
}

// Feeds for every input of a training graph: the model's initial values, given image/labels,
// and dropout masks from a fixed seed.
std::unordered_map<std::string, Tensor> feeds_for(const TrainingGraph& tg, const Graph& model,
                                                  const Tensor& image, const Tensor& labels) {
  std::unordered_map<std::string, Tensor> f;
  f[tg.image] = image;
  f[tg.labels] = labels;
  for (const auto& p : tg.parameters) f[p] = model.initializers.at(p).clone();
  for (const auto& [stat, updated] : tg.running_stats)
    f[stat] = model.initializers.at(stat).clone();
  std::mt19937 rng(5);
  for (const auto& [mask, ratio] : tg.dropout_masks) {
    Tensor m(DType::kFloat32, tg.graph.type_of(mask)->shape);
    for (int64_t i = 0; i < m.numel(); ++i)
      m.data<float>()[i] = (rng() % 1000) / 1000.0f < ratio ? 0.0f : 1.0f / (1.0f - ratio);
    f[mask] = m;
  }
  return f;
}

// Conv -> BatchNorm -> Relu -> MaxPool -> Flatten -> Dropout -> Gemm.
Graph small_cnn() {
  GraphBuilder b;
  auto x = b.input("image", DType::kFloat32, {-1, 1, 6, 6});
  auto c = b.node("Conv", {x, b.weight("conv.weight", random_tensor({4, 1, 3, 3}, 1))},
                  {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  auto bn = b.node("BatchNormalization",
                   {c, b.weight("bn.weight", random_tensor({4}, 2, 0.5f, 1.5f)),
                    b.weight("bn.bias", random_tensor({4}, 3)),
                    b.weight("bn.running_mean", Tensor(DType::kFloat32, {4})),
                    b.weight("bn.running_var", Tensor::from_vector<float>({4}, {1, 1, 1, 1}))});
  auto p = b.node(
      "MaxPool", {b.node("Relu", {bn})},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  auto d = b.node("Dropout", {b.node("Flatten", {p})});
  b.output(b.node("Gemm",
                  {d, b.weight("fc.weight", random_tensor({3, 36}, 4)),
                   b.weight("fc.bias", random_tensor({3}, 5))},
                  {{"transB", int64_t{1}}}));
  return b.build();
}

TEST(TrainingGraph, GradientsMatchFiniteDifferences) {
  const Graph model = small_cnn();
  TrainingGraph tg = make_training_graph(model, 4);
  EXPECT_EQ(tg.parameters.size(), 5u);  // conv, bn scale and bias, fc weight and bias
  EXPECT_EQ(tg.running_stats.size(), 2u);
  ASSERT_EQ(tg.dropout_masks.size(), 1u);
  auto feeds = feeds_for(tg, model, random_tensor({4, 1, 6, 6}, 9), one_hot({0, 2, 1, 2}, 3));
  Session s(tg.graph, {1, false, false});
  const std::vector<Tensor> out = s.run(feeds);
  auto loss_at = [&](const std::string& p, int64_t i, float delta) {
    auto f = feeds;
    f[p] = feeds[p].clone();
    f[p].data<float>()[i] += delta;
    return s.run(f)[0].data<float>()[0];
  };
  const float eps = 1e-2f;
  for (size_t k = 0; k < tg.parameters.size(); ++k) {
    const std::string& p = tg.parameters[k];
    const Tensor& grad = out[2 + k];
    for (int64_t i = 0; i < std::min<int64_t>(grad.numel(), 6); ++i) {
      const float numeric = (loss_at(p, i, eps) - loss_at(p, i, -eps)) / (2 * eps);
      EXPECT_NEAR(grad.data<float>()[i], numeric, 5e-3f * std::max(1.0f, std::fabs(numeric)))
          << p << "[" << i << "]";
    }
  }
}

TEST(TrainingGraph, RunningStatisticsFollowPyTorch) {
  GraphBuilder b;  // BatchNorm straight on the input, so the batch statistics are known here
  auto x = b.input("image", DType::kFloat32, {-1, 2, 3, 3});
  auto bn = b.node("BatchNormalization",
                   {x, b.weight("s", Tensor::from_vector<float>({2}, {1, 1})),
                    b.weight("b", Tensor(DType::kFloat32, {2})),
                    b.weight("rm", Tensor::from_vector<float>({2}, {0.5f, -0.5f})),
                    b.weight("rv", Tensor::from_vector<float>({2}, {2.0f, 3.0f}))},
                   {{"momentum", 0.9f}});
  b.output(b.node("Gemm", {b.node("Flatten", {bn}), b.weight("w", random_tensor({2, 18}, 1))},
                  {{"transB", int64_t{1}}}));
  const Graph model = b.build();
  TrainingGraph tg = make_training_graph(model, 3);
  const Tensor image = random_tensor({3, 2, 3, 3}, 7);
  const std::vector<Tensor> out =
      Session(tg.graph, {1, false, false}).run(feeds_for(tg, model, image, one_hot({0, 1, 0}, 2)));
  for (int64_t c = 0; c < 2; ++c) {
    double sum = 0, sq = 0;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 9; ++i) sum += image.data<float>()[(n * 2 + c) * 9 + i];
    const double mean = sum / 27;
    for (int64_t n = 0; n < 3; ++n)
      for (int64_t i = 0; i < 9; ++i)
        sq += std::pow(image.data<float>()[(n * 2 + c) * 9 + i] - mean, 2);
    const double rm = c == 0 ? 0.5 : -0.5, rv = c == 0 ? 2.0 : 3.0;
    EXPECT_NEAR(out[out.size() - 2].data<float>()[c], 0.9 * rm + 0.1 * mean, 1e-5);
    EXPECT_NEAR(out[out.size() - 1].data<float>()[c], 0.9 * rv + 0.1 * sq / 26, 1e-5);
  }
}

TEST(TrainingGraph, RejectsModelsItCannotTrain) {
  GraphBuilder b;
  auto x = b.input("image", DType::kFloat32, {-1, 4});
  b.output(b.node("Relu", {x}));
  b.output(b.node("Neg", {x}));
  EXPECT_THROW(make_training_graph(b.build(), 2), InputError);
  EXPECT_THROW(make_training_graph(small_cnn(), 0), InputError);
}

// LeNet-5 from the zoo, 60 steps over 640 Fashion-MNIST images: SGD on the graph's own gradients
// must bring the loss well below its starting ln(10).
TEST(TrainingGraph, LeNetLearnsFashionMnist) {
  if (!std::filesystem::exists(std::string(kFashionMnistDir) + "/train-labels-idx1-ubyte.gz"))
    GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  Dataset data = load_fashion_mnist(kFashionMnistDir, true);
  normalize(data, kFashionMnistMean, kFashionMnistStd);
  const Graph model = build_zoo_model("lenet5");
  const int64_t batch = 32;
  TrainingGraph tg = make_training_graph(model, batch);
  Session session(tg.graph, {2, true, false});
  auto feeds = feeds_for(tg, model, Tensor(DType::kFloat32, {batch, 1, 28, 28}),
                         Tensor(DType::kFloat32, {batch, 10}));
  std::vector<Tensor> grads(tg.parameters.size());
  std::vector<Parameter> params;
  for (size_t i = 0; i < tg.parameters.size(); ++i) {
    grads[i] = Tensor(DType::kFloat32, feeds[tg.parameters[i]].shape());
    params.push_back({tg.parameters[i], &feeds[tg.parameters[i]], &grads[i]});
  }
  Sgd sgd(params, {0.9f, false, 0.0f});
  float first = 0, last_avg = 0;
  const int steps = 60;
  for (int step = 0; step < steps; ++step) {
    std::vector<int64_t> labels;
    Tensor image(DType::kFloat32, {batch, 1, 28, 28});
    for (int64_t i = 0; i < batch; ++i) {
      const int64_t k = (step * batch + i) % 640;
      std::copy_n(data.images.data<float>() + k * 784, 784, image.data<float>() + i * 784);
      labels.push_back(data.labels.data<int64_t>()[k]);
    }
    feeds[tg.image] = image;
    feeds[tg.labels] = one_hot(labels, 10);
    const std::vector<Tensor> out = session.run(feeds);
    const float loss = out[0].data<float>()[0];
    ASSERT_TRUE(std::isfinite(loss)) << "step " << step;
    if (step == 0) first = loss;
    if (step >= steps - 5) last_avg += loss / 5;
    for (size_t i = 0; i < grads.size(); ++i)
      std::copy_n(out[2 + i].data<float>(), grads[i].numel(), grads[i].data<float>());
    sgd.step(0.05f);
  }
  EXPECT_NEAR(first, std::log(10.0f), 0.5f);
  EXPECT_LT(last_avg, 1.3f) << "loss " << first << " -> " << last_avg;
}

}  // namespace
}  // namespace sinter
