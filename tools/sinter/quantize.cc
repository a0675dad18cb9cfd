// `sinter quantize`: post-training quantization of a float classifier into an ONNX QDQ model,
// with the activation ranges calibrated on training images and the accuracy before and after
// measured on the test split.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "cli.h"
#include "compress/compression_record.h"
#include "compress/post_training_quantization.h"
#include "compress/quant_aware_training.h"
#include "compress/quant_targets.h"
#include "core/parse_number.h"
#include "dataset_arg.h"
#include "fine_tune_phase.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"
#include "passes/fold_batchnorm.h"
#include "train/evaluate.h"

namespace sinter::cli {

namespace {

using Json = nlohmann::ordered_json;

struct QuantizeArgs {
  std::string model;
  std::string granularity = "channel";
  int bits = 8;
  int scale_bits = 0;
  std::string weights = "symmetric";
  std::string activations = "8";
  std::string activation_type = "uint8";
  std::string calibrate = "fashion-mnist:1000";
  std::string method = "minmax";
  std::string data;  // the test split; empty: the calibration dataset's
  int64_t test_limit = 0;
  int64_t batch = 256;
  int64_t qat_epochs = 0;
  float qat_lr = 0.005f;
  int64_t qat_batch = 64;
  int64_t train_limit = 0;
  uint64_t seed = 1;
  int threads = 1;
  int64_t opset = 0;
  std::string output;
  bool json = false;
  bool quiet = false;
};

bool all_digits(const std::string& s) {
  return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
}

// "DATASET[:N]": the dataset as --data names it and the number of images (1000 when absent).
std::pair<std::string, int64_t> parse_calibration(const std::string& spec) {
  const size_t colon = spec.rfind(':');
  if (colon == std::string::npos || !all_digits(spec.substr(colon + 1))) return {spec, 1000};
  const std::string count = spec.substr(colon + 1);
  if (count.size() > 9 || std::stoll(count) < 1)
    throw InputError(cat("--calibrate '", spec, "': the image count must be 1 to 999999999"));
  const int64_t n = std::stoll(count);
  return {spec.substr(0, colon), n};
}

double parse_number(const std::string& text, const std::string& what) {
  const std::optional<double> v = parse_double(text);
  if (!v) throw InputError(cat(what, ": '", text, "' is not a number"));
  return *v;
}

QuantScheme parse_weight_scheme(const QuantizeArgs& a) {
  QuantScheme s;
  if (a.bits != 4 && a.bits != 8) throw InputError(cat("--bits must be 4 or 8, got ", a.bits));
  s.bits = a.bits;
  if (a.weights != "symmetric" && a.weights != "asymmetric")
    throw InputError(cat("--weights must be symmetric or asymmetric, got '", a.weights, "'"));
  s.symmetric = a.weights == "symmetric";
  try {
    parse_granularity(a.granularity, s);
  } catch (const InputError& e) {
    throw InputError(cat("--", e.what()));
  }
  if (a.scale_bits != 0) {
    if (s.granularity != QuantGranularity::kVector)
      throw InputError("--scale-bits applies to --granularity vector:V (two-level vector scales)");
    if (a.scale_bits < 2 || a.scale_bits > 8)
      throw InputError(cat("--scale-bits must be 2 to 8, got ", a.scale_bits));
    if (!s.symmetric)
      throw InputError(
          "--scale-bits needs --weights symmetric (two-level scales have no zero point)");
    s.scale_bits = a.scale_bits;
  }
  return s;
}

PtqOptions parse_options(const QuantizeArgs& a) {
  PtqOptions o;
  o.weights = parse_weight_scheme(a);
  if (a.activations == "none") {
    o.activations = ActivationQuantization::kNone;
  } else if (a.activations == "8") {
    if (a.activation_type != "uint8" && a.activation_type != "int8")
      throw InputError(
          cat("--activation-type must be uint8 or int8, got '", a.activation_type, "'"));
    o.activations = a.activation_type == "uint8" ? ActivationQuantization::kUint8
                                                 : ActivationQuantization::kInt8;
  } else {
    throw InputError(cat("--activations must be none or 8, got '", a.activations, "'"));
  }
  if (a.method == "minmax") {
    o.calibration.method = CalibrationMethod::kMinMax;
  } else if (a.method == "mse") {
    o.calibration.method = CalibrationMethod::kMse;
  } else if (a.method == "percentile" || a.method.rfind("percentile:", 0) == 0) {
    o.calibration.method = CalibrationMethod::kPercentile;
    if (a.method != "percentile")
      o.calibration.percentile = parse_number(a.method.substr(11), "--method percentile");
    if (!(o.calibration.percentile > 50 && o.calibration.percentile <= 100))
      throw InputError(cat("--method '", a.method, "': P must be above 50 and at most 100"));
  } else {
    throw InputError(cat("--method must be minmax, percentile:P or mse, got '", a.method, "'"));
  }
  o.batch = a.batch;
  o.threads = a.threads;
  o.format.opset = a.opset;
  return o;
}

// What the file records of its quantization (compress/compression_record.h).
QuantizationRecord quantization_record(const QuantizeArgs& a, const PtqOptions& o,
                                       int64_t calibration_images) {
  QuantizationRecord r;
  r.weights = o.weights;
  r.activations = o.activations;
  if (o.activations != ActivationQuantization::kNone)
    r.calibration = cat(a.method, " on ", calibration_images, " images of ",
                        parse_calibration(a.calibrate).first);
  r.qat_epochs = a.qat_epochs;
  return r;
}

// Quantization-aware fine-tuning of `model` with BatchNorm folded first (the weights trained
// through the quantizer must be the ones the QDQ model stores): returns the tuned float model,
// whose weights lie on their grids. Activations train in float; they are calibrated after.
Graph quant_aware_tune(const Graph& model, const QuantizeArgs& a, const QuantScheme& scheme,
                       const std::string& data_spec, const Dataset& test) {
  Graph folded = model;
  fold_batchnorm(folded);
  Dataset train = load_dataset_arg(data_spec, true);
  limit_dataset(train, a.train_limit);
  FineTuneSettings settings;
  settings.batch = a.qat_batch;
  settings.threads = a.threads;
  settings.seed = a.seed;
  settings.lr = a.qat_lr;
  settings.weight_decay = 0.0f;  // the grid, not a penalty, bounds the weights now
  DataLoader loader(train, fine_tune_loader(settings));
  Trainer trainer(folded, fine_tune_trainer(settings, a.qat_epochs, loader.batches_per_epoch()));
  std::vector<QuantAwareWeight> weights;
  std::set<std::string> seen;
  for (const QuantTarget& t : find_quant_targets(folded))
    if (seen.insert(t.weight).second) weights.push_back({t.weight, t.channel_axis});
  QuantAwareTraining qat(trainer, weights, scheme);
  train_phase(trainer, loader, test, a.qat_epochs, "qat", {"quantize", a.quiet, a.json});
  return trainer.model();
}

int run_quantize(const QuantizeArgs& a) {
  const PtqOptions options = parse_options(a);
  const auto [calibration_spec, calibration_count] = parse_calibration(a.calibrate);
  const Graph model = load_onnx(a.model);
  if (const Node* q = find_quantized_node(model))
    throw InputError(cat("the model is already quantized (", q->describe(),
                         "); quantize its float original instead"));

  Tensor calibration_images;
  if (options.activations != ActivationQuantization::kNone) {
    Dataset calibration = load_dataset_arg(calibration_spec, true);
    limit_dataset(calibration, calibration_count);
    calibration_images = calibration.images;
  }
  const std::string test_spec = a.data.empty() ? calibration_spec : a.data;
  Dataset test = load_dataset_arg(test_spec, false);
  limit_dataset(test, a.test_limit);

  // Without fine-tuning too, so a QAT run shows what it gained over post-training quantization.
  QdqModel q = quantize_post_training(model, calibration_images, options);
  std::optional<Evaluation> post_training;
  if (a.qat_epochs > 0) {
    post_training = evaluate(q.graph, test, a.batch, a.threads);
    if (!a.json)
      std::printf(
          "post-training quantization: test %.2f%%; quantization-aware fine-tuning for "
          "%lld epochs\n",
          100 * post_training->accuracy, static_cast<long long>(a.qat_epochs));
    const Graph tuned = quant_aware_tune(model, a, options.weights, calibration_spec, test);
    q = quantize_post_training(tuned, calibration_images, options);
  }
  // The float model's record (its pruning) carries over, with the quantization added.
  CompressionRecord record = read_compression_record(model);
  record.quantization =
      quantization_record(a, options, calibration_images.rank() ? calibration_images.dim(0) : 0);
  write_compression_record(record, q.graph);
  const std::string how = record.quantization->describe();
  const Evaluation before = evaluate(model, test, a.batch, a.threads);
  const Evaluation after = evaluate(q.graph, test, a.batch, a.threads);
  save_onnx(q.graph, a.output);

  int64_t float_model_bytes = 0;
  for (const auto& [name, t] : model.initializers) float_model_bytes += t.nbytes();
  const int64_t quantized_model_bytes = q.quantized_weight_bytes + q.other_bytes;
  const double change_pp = 100 * (after.accuracy - before.accuracy);
  if (a.json) {
    Json j{{"model", a.model},
           {"output", a.output},
           {"quantization", how},
           {"bits", a.bits},
           {"granularity", a.granularity},
           {"weights_quantized", q.weights.size()},
           {"activations_quantized", q.activations.size()},
           {"test_samples", test.size()},
           {"float_test_accuracy", before.accuracy},
           {"test_accuracy", after.accuracy},
           {"accuracy_change_pp", change_pp},
           {"float_model_bytes", float_model_bytes},
           {"quantized_model_bytes", quantized_model_bytes},
           {"float_weight_bytes", q.float_weight_bytes},
           {"quantized_weight_bytes", q.quantized_weight_bytes},
           {"compression",
            static_cast<double>(float_model_bytes) / static_cast<double>(quantized_model_bytes)},
           {"file_bytes", std::filesystem::file_size(a.output)}};
    if (post_training) {
      j["qat_epochs"] = a.qat_epochs;
      j["post_training_test_accuracy"] = post_training->accuracy;
    }
    std::cout << j.dump() << "\n";
    return 0;
  }
  std::vector<std::vector<std::string>> rows;
  for (const QuantizedWeight& w : q.weights)
    rows.push_back({w.name, shape_str(w.shape), std::to_string(w.scales),
                    human_bytes(static_cast<double>(w.packed_bytes)), format("%.3g", w.error.mse),
                    format("%.3g", w.error.max_abs)});
  std::printf("model:     %s\nquantized: %s\n\n", a.model.c_str(), how.c_str());
  std::cout << format_table({"weight", "shape", "scales", "bytes", "mse", "max |error|"}, rows,
                            {2, 3, 4, 5});
  std::printf(
      "\nsize:      %s float -> %s (weights %s -> %s with scales), %.2fx smaller\n"
      "accuracy:  float %.2f%% -> quantized %.2f%% (%+.2f pp) on %lld test images of %s\n"
      "wrote %s (%s on disk%s)\n",
      human_bytes(static_cast<double>(float_model_bytes)).c_str(),
      human_bytes(static_cast<double>(quantized_model_bytes)).c_str(),
      human_bytes(static_cast<double>(q.float_weight_bytes)).c_str(),
      human_bytes(static_cast<double>(q.quantized_weight_bytes)).c_str(),
      static_cast<double>(float_model_bytes) / static_cast<double>(quantized_model_bytes),
      100 * before.accuracy, 100 * after.accuracy, change_pp, static_cast<long long>(test.size()),
      test.name.c_str(), a.output.c_str(),
      human_bytes(static_cast<double>(std::filesystem::file_size(a.output))).c_str(),
      a.bits == 8           ? ""
      : q.graph.opset >= 21 ? ": 4-bit values packed two a byte"
                            : ": 4-bit values held in int8; --opset 21 packs them");
  return 0;
}

}  // namespace

Subcommand add_quantize_command(CLI::App& parent) {
  auto a = std::make_shared<QuantizeArgs>();
  CLI::App* app =
      parent.add_subcommand("quantize",
                            "Post-training quantization of a float model into an ONNX QDQ model "
                            "(QuantizeLinear/DequantizeLinear), with accuracy before and after");
  app->add_option("model", a->model, "Float ONNX model file (logits output)")->required();
  app->add_option("--granularity", a->granularity,
                  "Weights sharing a scale: tensor, channel (per output channel) or vector:V "
                  "(V consecutive weights along the layer's reduction)")
      ->capture_default_str();
  app->add_option("--bits", a->bits,
                  "Weight bits: 8 or 4 (4-bit values are stored in int8, or int4 with --opset 21)")
      ->capture_default_str();
  app->add_option("--scale-bits", a->scale_bits,
                  "vector:V only: two-level scales (VS-Quant), each vector's scale an S-bit "
                  "integer factor (2-8) times one float per output channel; 0: a float per "
                  "vector")
      ->capture_default_str();
  app->add_option("--weights", a->weights,
                  "symmetric (zero point 0) or asymmetric (a zero point per scale)")
      ->capture_default_str();
  app->add_option("--activations", a->activations,
                  "none (float activations) or 8 (the inputs of Conv/Gemm/MatMul quantized)")
      ->capture_default_str();
  app->add_option("--activation-type", a->activation_type,
                  "uint8 (asymmetric) or int8 (symmetric) activations")
      ->capture_default_str();
  app->add_option("--calibrate", a->calibrate,
                  "Calibration images: DATASET[:N], the first N training images of a --data "
                  "dataset (N defaults to 1000)")
      ->capture_default_str();
  app->add_option("--method", a->method,
                  "Activation ranges: minmax, percentile:P (e.g. percentile:99.99) or mse")
      ->capture_default_str();
  app->add_option("--data", a->data,
                  std::string("Test data for the accuracies (default: the calibration "
                              "dataset's test split). ") +
                      kDataHelp);
  app->add_option("--test-limit", a->test_limit, "Use only the first N test images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--batch", a->batch, "Images per inference run")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_option("--threads", a->threads, "Worker threads")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  app->add_option("--qat", a->qat_epochs,
                  "Epochs of quantization-aware fine-tuning of the weights (straight-through "
                  "estimator) on the calibration dataset's training split before export; 0: "
                  "post-training quantization only")
      ->check(CLI::Range(int64_t{0}, int64_t{100000}))
      ->capture_default_str();
  app->add_option("--qat-lr", a->qat_lr, "--qat: peak learning rate (cosine schedule)")
      ->capture_default_str();
  app->add_option("--qat-batch", a->qat_batch, "--qat: samples per training step")
      ->check(CLI::Range(int64_t{1}, int64_t{1} << 16))
      ->capture_default_str();
  app->add_option("--train-limit", a->train_limit,
                  "--qat: use only the first N training images (0: all)")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app->add_option("--seed", a->seed, "--qat: seeds the data order and dropout")
      ->capture_default_str();
  app->add_option("--opset", a->opset,
                  "Write the file at this ONNX opset (default: the model's own). 21 stores 4-bit "
                  "weights as int4, packed two a byte, and per-vector scales as DequantizeLinear "
                  "blocks")
      ->check(CLI::Range(0, 21));
  app->add_option("-o,--output", a->output, "The quantized model (ONNX)")->required();
  app->add_flag("--json", a->json,
                "Print one JSON line (test_accuracy, float_test_accuracy, sizes, ...) instead");
  app->add_flag("--quiet", a->quiet, "No progress on stderr");
  return {app, [a] { return run_quantize(*a); }};
}

}  // namespace sinter::cli
