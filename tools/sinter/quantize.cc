// `sinter quantize`: post-training quantization of a float classifier into an ONNX QDQ model,
// with the activation ranges calibrated on training images and the accuracy before and after
// measured on the test split. The workflow is compress/quantize_model; this file turns the
// options into its request and prints.
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <tuple>
#include <utility>

#include "cli.h"
#include "compress/quantize_model.h"
#include "data/dataset_spec.h"
#include "fine_tune_printer.h"
#include "onnx/onnx_export.h"
#include "onnx/onnx_import.h"

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

// Runs `parse` on an option's text; its error, which names the option without dashes, gets them.
template <typename Parse>
void parse_option(Parse parse) {
  try {
    parse();
  } catch (const InputError& e) {
    throw InputError(cat("--", e.what()));
  }
}

PtqOptions ptq_options(const QuantizeArgs& a) {
  PtqOptions o;
  o.weights.bits = a.bits;
  if (a.weights != "symmetric" && a.weights != "asymmetric")
    throw InputError(cat("--weights must be symmetric or asymmetric, got '", a.weights, "'"));
  o.weights.symmetric = a.weights == "symmetric";
  parse_option([&] { parse_granularity(a.granularity, o.weights); });
  o.weights.scale_bits = a.scale_bits;
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
  parse_option([&] { parse_calibration_method(a.method, o.calibration); });
  o.batch = a.batch;
  o.threads = a.threads;
  o.format.opset = a.opset;
  return o;
}

QuantizeRequest quantize_request(const QuantizeArgs& a) {
  QuantizeRequest r;
  r.options = ptq_options(a);
  std::tie(r.calibration_data, r.calibration_images) = parse_calibration(a.calibrate);
  r.test_data = a.data;
  r.test_limit = a.test_limit;
  r.qat_epochs = a.qat_epochs;
  r.qat.batch = a.qat_batch;
  r.qat.threads = a.threads;
  r.qat.seed = a.seed;
  r.qat.lr = a.qat_lr;
  r.train_limit = a.train_limit;
  return r;
}

QuantizeCallbacks quantize_printer(const QuantizeArgs& a) {
  QuantizeCallbacks c;
  c.fine_tune = fine_tune_printer("quantize", a.quiet, a.json);
  if (!a.json)
    c.on_post_training = [&a](const Evaluation& e) {
      std::printf(
          "post-training quantization: test %.2f%%; quantization-aware fine-tuning for "
          "%lld epochs\n",
          100 * e.accuracy, static_cast<long long>(a.qat_epochs));
    };
  return c;
}

void print_json(const QuantizeArgs& a, const QuantizeResult& r) {
  const QdqModel& q = r.model;
  Json j{{"model", a.model},
         {"output", a.output},
         {"quantization", r.record.quantization->describe()},
         {"bits", a.bits},
         {"granularity", a.granularity},
         {"weights_quantized", q.weights.size()},
         {"activations_quantized", q.activations.size()},
         {"test_samples", r.after.samples},
         {"float_test_accuracy", r.before.accuracy},
         {"test_accuracy", r.after.accuracy},
         {"accuracy_change_pp", 100 * (r.after.accuracy - r.before.accuracy)},
         {"float_model_bytes", r.float_model_bytes},
         {"quantized_model_bytes", r.quantized_model_bytes},
         {"float_weight_bytes", q.float_weight_bytes},
         {"quantized_weight_bytes", q.quantized_weight_bytes},
         {"compression",
          static_cast<double>(r.float_model_bytes) / static_cast<double>(r.quantized_model_bytes)},
         {"file_bytes", std::filesystem::file_size(a.output)}};
  if (r.post_training) {
    j["qat_epochs"] = a.qat_epochs;
    j["post_training_test_accuracy"] = r.post_training->accuracy;
  }
  std::cout << j.dump() << "\n";
}

void print_text(const QuantizeArgs& a, const QuantizeResult& r) {
  const QdqModel& q = r.model;
  std::vector<std::vector<std::string>> rows;
  for (const QuantizedWeight& w : q.weights)
    rows.push_back({w.name, shape_str(w.shape), std::to_string(w.scales),
                    human_bytes(static_cast<double>(w.packed_bytes)), format("%.3g", w.error.mse),
                    format("%.3g", w.error.max_abs)});
  std::printf("model:     %s\nquantized: %s\n\n", a.model.c_str(),
              r.record.quantization->describe().c_str());
  std::cout << format_table({"weight", "shape", "scales", "bytes", "mse", "max |error|"}, rows,
                            {2, 3, 4, 5});
  std::printf(
      "\nsize:      %s float -> %s (weights %s -> %s with scales), %.2fx smaller\n"
      "accuracy:  float %.2f%% -> quantized %.2f%% (%+.2f pp) on %lld test images of %s\n"
      "wrote %s (%s on disk%s)\n",
      human_bytes(static_cast<double>(r.float_model_bytes)).c_str(),
      human_bytes(static_cast<double>(r.quantized_model_bytes)).c_str(),
      human_bytes(static_cast<double>(q.float_weight_bytes)).c_str(),
      human_bytes(static_cast<double>(q.quantized_weight_bytes)).c_str(),
      static_cast<double>(r.float_model_bytes) / static_cast<double>(r.quantized_model_bytes),
      100 * r.before.accuracy, 100 * r.after.accuracy, 100 * (r.after.accuracy - r.before.accuracy),
      static_cast<long long>(r.after.samples), r.test_data.c_str(), a.output.c_str(),
      human_bytes(static_cast<double>(std::filesystem::file_size(a.output))).c_str(),
      a.bits == 8           ? ""
      : q.graph.opset >= 21 ? ": 4-bit values packed two a byte"
                            : ": 4-bit values held in int8; --opset 21 packs them");
}

int run_quantize(const QuantizeArgs& a) {
  const QuantizeRequest request = quantize_request(a);
  validate_quantize_request(request);
  const QuantizeResult result = quantize_model(load_onnx(a.model), request, quantize_printer(a));
  save_onnx(result.model.graph, a.output);
  if (a.json)
    print_json(a, result);
  else
    print_text(a, result);
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
                      kDatasetSpecHelp);
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
