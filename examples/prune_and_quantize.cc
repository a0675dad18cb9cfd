// Train LeNet-5 briefly on Fashion-MNIST, prune it by ADMM, quantize the pruned model to int8,
// save both as ONNX and compile the quantized one into a plan file, then run the plan: all
// through library calls, the compression workflows in one page.
//   build/examples/prune_and_quantize [TRAIN_IMAGES=60000] [OUTPUT_DIR=.]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "compress/prune_model.h"
#include "compress/quantize_model.h"
#include "data/dataset_spec.h"
#include "onnx/onnx_export.h"
#include "tune/compile_model.h"
#include "train/fine_tune.h"
#include "train/model_zoo.h"

using namespace sinter;

namespace {

// One epoch of SGD from PyTorch-style initial weights: a model worth compressing.
Graph train_lenet5(const std::string& data, int64_t train_images, const FineTuneSettings& sgd) {
  Dataset train = load_dataset(data, true);
  Dataset test = load_dataset(data, false);
  limit_dataset(train, train_images);
  limit_dataset(test, 500);
  DataLoader loader(train, fine_tune_loader(sgd));
  Trainer trainer(build_zoo_model("lenet5"), fine_tune_trainer(sgd, 1, loader.batches_per_epoch()));
  FineTuneCallbacks report;
  report.on_epoch = [](const std::string&, const EpochSummary& e, int64_t, const std::string&) {
    std::printf("trained:   test accuracy %.2f%%\n", 100 * e.test_accuracy);
  };
  fine_tune_phase(trainer, loader, test, 1, "train", report);
  return trainer.model();
}

}  // namespace

int main(int argc, char** argv) try {
  const int64_t train_images = argc > 1 ? std::atoll(argv[1]) : 0;
  const std::string dir = argc > 2 ? argv[2] : ".";
  const std::string data = "fashion-mnist";
  FineTuneSettings sgd;
  sgd.threads = 2;
  sgd.lr = 0.05f;
  const Graph dense = train_lenet5(data, train_images, sgd);

  // 80% of the weights of conv2, fc1 and fc2 pruned: one epoch of ADMM, one of masked retraining.
  PruneRequest prune;
  prune.scheme = "unstructured";
  prune.sparsity = 0.8;
  prune.method = PruneMethod::kAdmm;
  prune.admm_epochs = 1;
  prune.retrain_epochs = 1;
  prune.training.threads = 2;
  prune.data = data;
  prune.train_limit = train_images;
  prune.test_limit = 500;
  const PruneResult pruned = prune_model(dense, prune);
  std::printf(
      "pruned:    test accuracy %.2f%% (dense %.2f%%), %.1f%% of the pruned layers zero, "
      "%lld bytes in CSR against %lld dense\n",
      100 * pruned.retrained.accuracy, 100 * pruned.dense.accuracy,
      100 * pruned.storage.prunable_sparsity(), static_cast<long long>(pruned.storage.csr_bytes),
      static_cast<long long>(pruned.storage.dense_bytes));
  save_onnx(pruned.model, dir + "/lenet5.pruned.onnx");

  // int8 weights per channel and uint8 activations calibrated on 256 training images; the
  // pruning record carries over into the quantized model's metadata.
  QuantizeRequest quantize;
  quantize.options.weights.bits = 8;
  quantize.options.weights.granularity = QuantGranularity::kChannel;
  quantize.options.activations = ActivationQuantization::kUint8;
  quantize.options.threads = 2;
  quantize.calibration_data = data;
  quantize.calibration_images = 256;
  quantize.test_limit = 500;
  const QuantizeResult quantized = quantize_model(pruned.model, quantize);
  std::printf(
      "quantized: test accuracy %.2f%%, %lld bytes against %lld float; %s\n",
      100 * quantized.after.accuracy, static_cast<long long>(quantized.quantized_model_bytes),
      static_cast<long long>(quantized.float_model_bytes), quantized.record.label().c_str());
  save_onnx(quantized.model.graph, dir + "/lenet5.pruned.q8.onnx");

  // Compiled for one image at a time and saved as a plan (kernels chosen, weights packed); a
  // later program loads it without compiling and gets the same answers.
  CompileRequest compile;
  compile.model = dir + "/lenet5.pruned.q8.onnx";
  compile.output = dir + "/lenet5.pruned.q8.splan";
  const CompileResult compiled = compile_model(compile);
  std::printf("compiled:  %lld steps for %s in %.1f ms; plan file %lld bytes\n",
              static_cast<long long>(compiled.plan.nodes), compiled.plan.isa.c_str(),
              compiled.compile_ms, static_cast<long long>(compiled.plan.file_bytes));
  auto plan = load_plan_file(compile.output);
  const Tensor image(DType::kFloat32, {1, 1, 28, 28});
  const Tensor from_plan = plan->run({{plan->model().inputs[0], image}})[0];
  const Tensor from_compile = compiled.session->run({{plan->model().inputs[0], image}})[0];
  const bool same = std::memcmp(from_plan.raw(), from_compile.raw(), from_plan.nbytes()) == 0;
  std::printf("plan:      loaded and run, logits %s those of the compiled session\n",
              same ? "identical to" : "DIFFERENT from");
  return same ? 0 : 1;
} catch (const std::exception& e) {
  std::fprintf(stderr, "prune_and_quantize: error: %s\n", e.what());
  return 1;
}
