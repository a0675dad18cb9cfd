// The model zoo: every model builds, verifies, runs at any batch size, exports and re-imports
// exactly, and has PyTorch's parameter count and default initialization.
#include "train/model_zoo.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <random>

#include "core/error.h"
#include "ir/verifier.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "runtime/session.h"
#include "train/evaluate.h"
#include "train/trainer.h"

namespace sinter {
namespace {

// Deterministic images in [0, 1) (own mapping from raw generator output, like the zoo).
Tensor images(int64_t n, uint64_t seed) {
  Tensor t(DType::kFloat32, {n, 1, 28, 28});
  std::mt19937_64 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = static_cast<float>(static_cast<double>(rng() >> 11) * 0x1.0p-53);
  return t;
}

Tensor run(const Graph& g, const Tensor& x, bool optimize = true) {
  Session s(g, {1, optimize, false});
  auto out = s.run({{"image", x}});
  EXPECT_EQ(out.size(), 1u);
  return out.at(0);
}

bool same_bytes(const Tensor& a, const Tensor& b) {
  return a.dtype() == b.dtype() && a.shape() == b.shape() &&
         std::memcmp(a.raw(), b.raw(), a.nbytes()) == 0;
}

class ModelZooAll : public ::testing::TestWithParam<std::string> {};

TEST_P(ModelZooAll, BuildsVerifiesAndRunsAtAnyBatch) {
  Graph g = build_zoo_model(GetParam());
  EXPECT_NO_THROW(verify_graph(g));
  EXPECT_EQ(g.opset, 13);
  for (const Node& n : g.nodes) EXPECT_EQ(n.domain, "") << n.name;
  ASSERT_EQ(g.inputs, std::vector<std::string>{"image"});
  ASSERT_EQ(g.outputs, std::vector<std::string>{"logits"});
  EXPECT_EQ(g.types.at("image").shape, (Shape{-1, 1, 28, 28}));
  EXPECT_EQ(g.types.at("image").dtype, DType::kFloat32);
  for (int64_t n : {3, 1}) {
    Tensor y = run(g, images(n, 7));
    EXPECT_EQ(y.shape(), (Shape{n, 10}));
    EXPECT_EQ(find_nonfinite(y), -1);
  }
}

TEST_P(ModelZooAll, SameSeedSameInitializersOtherSeedDifferent) {
  Graph a = build_zoo_model(GetParam(), {.seed = 5});
  Graph b = build_zoo_model(GetParam(), {.seed = 5});
  Graph c = build_zoo_model(GetParam(), {.seed = 6});
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  bool any_differs = false;
  for (const auto& [name, t] : a.initializers) {
    EXPECT_TRUE(same_bytes(t, b.initializers.at(name))) << name;
    // BN tensors are constants; every weight and bias is random.
    if (!same_bytes(t, c.initializers.at(name))) any_differs = true;
    if (name.find("weight") != std::string::npos && name.find("bn") == std::string::npos &&
        name.find("downsample.1") == std::string::npos) {
      EXPECT_FALSE(same_bytes(t, c.initializers.at(name))) << name;
    }
  }
  EXPECT_TRUE(any_differs);
}

TEST_P(ModelZooAll, OnnxRoundTripGivesBitIdenticalOutputs) {
  Graph g = build_zoo_model(GetParam());
  const auto dir =
      std::filesystem::temp_directory_path() / ("sinter_model_zoo_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / (GetParam() + ".onnx")).string();
  save_onnx(g, path);
  Graph back = load_onnx(path);
  std::filesystem::remove_all(dir);
  EXPECT_EQ(back.types.at("image").shape, (Shape{-1, 1, 28, 28}));
  EXPECT_EQ(count_parameters(back), count_parameters(g));
  const Tensor x = images(3, 11);
  EXPECT_TRUE(same_bytes(run(g, x), run(back, x)));
}

TEST_P(ModelZooAll, OptimizedAndPlainSessionsAgree) {
  Graph g = build_zoo_model(GetParam(), {.seed = 3});
  const Tensor x = images(3, 13);
  Tensor plain = run(g, x, false), opt = run(g, x, true);
  ASSERT_EQ(plain.shape(), opt.shape());
  double scale = 1e-6;
  for (int64_t i = 0; i < plain.numel(); ++i)
    scale = std::max(scale, std::abs(static_cast<double>(plain.data<float>()[i])));
  for (int64_t i = 0; i < plain.numel(); ++i)
    EXPECT_NEAR(plain.data<float>()[i], opt.data<float>()[i], 1e-5 * scale) << "at " << i;
}

// A few SGD steps on one repeated batch: the loss falls, the trained model evaluates, and its
// exported ONNX file predicts the same.
TEST_P(ModelZooAll, TrainsEvaluatesAndExports) {
  const Graph model = build_zoo_model(GetParam());
  TrainerOptions o;
  o.batch_size = 8;
  o.lr = 0.02f;
  o.schedule = "constant";
  Trainer trainer(model, o);
  Batch batch;
  batch.size = 8;
  batch.images = images(8, 11);
  batch.labels = Tensor::from_vector<int64_t>({8}, {0, 1, 2, 3, 4, 5, 6, 7});
  const float first = trainer.step(batch).loss;
  float last = first;
  for (int i = 0; i < 5; ++i) last = trainer.step(batch).loss;
  EXPECT_LT(last, first) << GetParam();

  Dataset data{batch.images, batch.labels, 10, "one batch"};
  const Graph trained = trainer.model();
  const std::string path = (std::filesystem::temp_directory_path() /
                            ("sinter_zoo_train_" + std::to_string(getpid()) + ".onnx"))
                               .string();
  save_onnx(trained, path);
  const Evaluation direct = evaluate(trained, data), loaded = evaluate(load_onnx(path), data);
  std::filesystem::remove(path);
  EXPECT_EQ(direct.confusion, loaded.confusion);
  EXPECT_EQ(direct.samples, 8);
}

INSTANTIATE_TEST_SUITE_P(ModelZoo, ModelZooAll, ::testing::ValuesIn(zoo_model_names()),
                         [](const auto& info) {
                           std::string s = info.param;
                           for (char& c : s)
                             if (c == '-') c = '_';
                           return s;
                         });

TEST(ModelZoo, ParameterCountsMatchPyTorch) {
  // mlp:    784*256+256 + 256*128+128 + 128*10+10 = 200960 + 32896 + 1290 = 235146.
  // lenet5: conv 6*25+6 + 16*6*25+16 = 156 + 2416; fc 400*120+120 + 120*84+84 + 84*10+10
  //         = 48120 + 10164 + 850; total 61706.
  // vgg-small (conv without bias, BN 2*C each):
  //         conv 32*1*9 + 32*32*9 + 64*32*9 + 64*64*9 = 288 + 9216 + 18432 + 36864 = 64800;
  //         BN 2*(32+32+64+64) = 384; fc 3136*256+256 + 256*10+10 = 803072 + 2570;
  //         total 64800 + 384 + 805642 = 870826.
  // resnet20: stem 16*9 + 32 = 176;
  //         stage 1: 3 blocks * (2*16*16*9 + 2*32) = 3 * 4672 = 14016;
  //         stage 2: first (32*16*9 + 32*32*9 + 32*16 [1x1] + 3*64) = 14528, then
  //                  2 * (2*32*32*9 + 2*64) = 37120 -> 51648;
  //         stage 3: first (64*32*9 + 64*64*9 + 64*32 + 3*128) = 57728, then
  //                  2 * (2*64*64*9 + 2*128) = 147968 -> 205696;
  //         fc 64*10+10 = 650; total 176 + 14016 + 51648 + 205696 + 650 = 272186.
  // All four were also checked once against sum(p.numel() for p in m.parameters()) of the
  // equivalent torch.nn models (PyTorch 1.13); the test itself runs no Python.
  EXPECT_EQ(count_parameters(build_zoo_model("mlp")), 235146);
  EXPECT_EQ(count_parameters(build_zoo_model("lenet5")), 61706);
  EXPECT_EQ(count_parameters(build_zoo_model("vgg-small")), 870826);
  EXPECT_EQ(count_parameters(build_zoo_model("resnet20")), 272186);
}

TEST(ModelZoo, InitializersFollowPyTorchNamesAndDefaults) {
  Graph g = build_zoo_model("resnet20");
  for (const char* name :
       {"conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
        "layer1.0.conv1.weight", "layer2.0.bn2.bias", "layer2.0.downsample.0.weight",
        "layer3.0.downsample.1.running_var", "layer3.2.conv2.weight", "fc.weight", "fc.bias"})
    EXPECT_TRUE(g.is_initializer(name)) << name;
  EXPECT_FALSE(g.is_initializer("conv1.bias"));                    // followed by BN
  EXPECT_FALSE(g.is_initializer("layer1.0.downsample.0.weight"));  // identity shortcut
  EXPECT_EQ(g.initializers.at("layer3.0.downsample.0.weight").shape(), (Shape{64, 32, 1, 1}));
  EXPECT_EQ(g.initializers.at("fc.weight").shape(), (Shape{10, 64}));
  const Tensor& w = g.initializers.at("bn1.weight");
  const Tensor& var = g.initializers.at("bn1.running_var");
  const Tensor& mean = g.initializers.at("bn1.running_mean");
  for (int64_t i = 0; i < w.numel(); ++i) {
    EXPECT_EQ(w.data<float>()[i], 1.0f);
    EXPECT_EQ(var.data<float>()[i], 1.0f);
    EXPECT_EQ(mean.data<float>()[i], 0.0f);
  }
  for (const Node& n : g.nodes) {
    if (n.op_type != "BatchNormalization") continue;
    EXPECT_EQ(n.attr_float("epsilon", 0), 1e-5f) << n.name;
    EXPECT_EQ(n.attr_float("momentum", 0), 0.9f) << n.name;
  }
  Graph mlp = build_zoo_model("mlp");
  EXPECT_EQ(mlp.initializers.at("fc1.weight").shape(), (Shape{256, 784}));
  for (const Node& n : mlp.nodes)
    if (n.op_type == "Gemm") {
      EXPECT_EQ(n.attr_int("transB", 0), 1) << n.name;
    }
}

TEST(ModelZoo, KaimingUniformBoundsHold) {
  struct Case {
    const char* model;
    const char* weight;
    const char* bias;  // may be null
    double fan_in;
  };
  for (const Case& c :
       {Case{"lenet5", "conv1.weight", "conv1.bias", 25},
        Case{"vgg-small", "conv1.weight", nullptr, 9}, Case{"resnet20", "conv1.weight", nullptr, 9},
        Case{"mlp", "fc1.weight", "fc1.bias", 784}}) {
    Graph g = build_zoo_model(c.model);
    const float bound = static_cast<float>(1.0 / std::sqrt(c.fan_in));
    for (const char* name : {c.weight, c.bias}) {
      if (!name) continue;
      const Tensor& t = g.initializers.at(name);
      float max_abs = 0;
      for (int64_t i = 0; i < t.numel(); ++i) {
        EXPECT_LE(std::abs(t.data<float>()[i]), bound) << c.model << " " << name << " at " << i;
        max_abs = std::max(max_abs, std::abs(t.data<float>()[i]));
      }
      // Uniform over the whole range, not a narrower one.
      EXPECT_GT(max_abs, 0.5f * bound) << c.model << " " << name;
    }
  }
}

TEST(ModelZoo, OptionsChangeClassesChannelsAndSize) {
  Graph g = build_zoo_model("lenet5", {.num_classes = 5, .in_channels = 3, .image_size = 32});
  EXPECT_EQ(g.types.at("image").shape, (Shape{-1, 3, 32, 32}));
  EXPECT_EQ(g.initializers.at("fc1.weight").shape(), (Shape{120, 16 * 6 * 6}));
  Session s(g, {1, true, false});
  auto y = s.run({{"image", Tensor(DType::kFloat32, {2, 3, 32, 32})}});
  EXPECT_EQ(y.at(0).shape(), (Shape{2, 5}));
  EXPECT_THROW(build_zoo_model("lenet5", {.image_size = 8}), InputError);
}

TEST(ModelZoo, UnknownNameListsKnownModels) {
  try {
    build_zoo_model("alexnet");
    FAIL() << "expected InputError";
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("alexnet"), std::string::npos) << msg;
    for (const std::string& name : zoo_model_names())
      EXPECT_NE(msg.find(name), std::string::npos) << msg;
  }
  EXPECT_EQ(zoo_model_names(),
            (std::vector<std::string>{"mlp", "lenet5", "vgg-small", "resnet20"}));
}

}  // namespace
}  // namespace sinter
