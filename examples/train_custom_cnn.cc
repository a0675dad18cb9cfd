// Build a small CNN in C++, train it on Fashion-MNIST with sinter's trainer, evaluate it and
// save it as ONNX: the whole training API in one page.
//   build/examples/train_custom_cnn [EPOCHS=2] [TRAIN_IMAGES=60000] [OUTPUT=custom_cnn.onnx]
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "core/error.h"
#include "data/data_loader.h"
#include "data/fashion_mnist.h"
#include "ir/graph_builder.h"
#include "onnx/onnx_export.h"
#include "train/evaluate.h"
#include "train/fit.h"
#include "train/trainer.h"

using namespace sinter;

namespace {

// Uniform in [-bound, bound), like PyTorch's default initialization with bound = 1/sqrt(fan_in).
Tensor init(Shape shape, float bound, uint32_t seed) {
  Tensor t(DType::kFloat32, std::move(shape));
  std::mt19937 rng(seed);
  for (int64_t i = 0; i < t.numel(); ++i)
    t.data<float>()[i] = (static_cast<float>(rng() >> 8) * 0x1p-23f - 1.0f) * bound;
  return t;
}

// image [N,1,28,28] -> Conv 3x3 16 -> BN -> Relu -> MaxPool 2 -> Conv 3x3 32 -> Relu ->
// GlobalAveragePool -> Flatten -> Gemm 10.
Graph custom_cnn() {
  GraphBuilder b;
  auto x = b.input("image", DType::kFloat32, {-1, 1, 28, 28});
  const std::vector<int64_t> pad1 = {1, 1, 1, 1};
  x = b.node("Conv", {x, b.weight("conv1.weight", init({16, 1, 3, 3}, 1.0f / 3, 1))},
             {{"pads", pad1}});
  Tensor ones(DType::kFloat32, {16}), zeros(DType::kFloat32, {16});
  for (int i = 0; i < 16; ++i) ones.data<float>()[i] = 1.0f;
  x = b.node("BatchNormalization", {x, b.weight("bn1.weight", ones), b.weight("bn1.bias", zeros),
                                    b.weight("bn1.running_mean", zeros.clone()),
                                    b.weight("bn1.running_var", ones.clone())});
  x = b.node(
      "MaxPool", {b.node("Relu", {x})},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}});
  x = b.node("Conv",
             {x, b.weight("conv2.weight", init({32, 16, 3, 3}, 1.0f / 12, 2)),
              b.weight("conv2.bias", init({32}, 1.0f / 12, 3))},
             {{"pads", pad1}});
  x = b.node("Flatten", {b.node("GlobalAveragePool", {b.node("Relu", {x})})});
  b.output(b.node("Gemm",
                  {x, b.weight("fc.weight", init({10, 32}, 0.18f, 4)),
                   b.weight("fc.bias", init({10}, 0.18f, 5))},
                  {{"transB", int64_t{1}}}));
  return b.build();
}

}  // namespace

int main(int argc, char** argv) try {
  const int64_t epochs = argc > 1 ? std::atoll(argv[1]) : 2;
  const int64_t limit = argc > 2 ? std::atoll(argv[2]) : 0;
  const std::string output = argc > 3 ? argv[3] : "custom_cnn.onnx";

  const Dataset all = load_fashion_mnist(kFashionMnistDir, true);
  Dataset test = load_fashion_mnist(kFashionMnistDir, false);
  Dataset train = all;  // shares the buffers of `all`, which outlives it
  normalize(train, kFashionMnistMean, kFashionMnistStd);
  normalize(test, kFashionMnistMean, kFashionMnistStd);
  if (limit > 0 && limit < train.size()) {  // a prefix, for quick runs
    train.images = Tensor::view(DType::kFloat32, {limit, 1, 28, 28}, train.images.data<float>());
    train.labels = Tensor::view(DType::kInt64, {limit}, train.labels.data<int64_t>());
  }

  DataLoaderOptions data;
  data.batch_size = 64;
  data.seed = 1;
  data.drop_last = true;  // the training graph has one batch size
  DataLoader loader(train, data);

  TrainerOptions options;
  options.batch_size = 64;
  options.threads = 2;
  options.optimizer = "sgd";
  options.lr = 0.05f;
  options.schedule = "cosine";
  options.total_steps = epochs * loader.batches_per_epoch();
  Trainer trainer(custom_cnn(), options);

  FitOptions fit_options;
  fit_options.epochs = epochs;
  fit_options.test = &test;
  FitCallbacks callbacks;
  callbacks.on_epoch = [](const EpochSummary& e) {
    std::printf("epoch %lld: train loss %.4f, test accuracy %.2f%%, %.0f images/s\n",
                static_cast<long long>(e.epoch + 1), e.train_loss, 100 * e.test_accuracy,
                e.images_per_s);
  };
  fit(trainer, loader, fit_options, callbacks);

  const Graph trained = trainer.model();  // inference form: BN on its running statistics
  const Evaluation ev = evaluate(trained, test);
  save_onnx(trained, output);
  std::printf("saved %s: test accuracy %.2f%%\n", output.c_str(), 100 * ev.accuracy);
  return 0;
} catch (const std::exception& e) {
  std::fprintf(stderr, "train_custom_cnn: error: %s\n", e.what());
  return 1;
}
