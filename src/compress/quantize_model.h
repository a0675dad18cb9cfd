#pragma once
// Quantizing a float classifier in one call, the workflow behind `sinter quantize`: optional
// quantization-aware fine-tuning of the weights, post-training quantization into an ONNX QDQ
// model with activation ranges calibrated on training images, the accuracy before and after on
// the test split, and the compression record (the float model's pruning kept, the quantization
// added) in the quantized model's metadata.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "compress/compression_record.h"
#include "compress/post_training_quantization.h"
#include "ir/graph.h"
#include "train/evaluate.h"
#include "train/fine_tune.h"

namespace sinter {

// What to quantize and how. Error messages name the fields as the CLI's options spell them
// (--bits, --scale-bits, ...).
struct QuantizeRequest {
  // The weights' scheme, the activations, their calibration, and the file's opset; its batch and
  // threads serve the evaluations too.
  PtqOptions options;
  std::string calibration_data = "fashion-mnist";  // data/dataset_spec.h
  int64_t calibration_images = 1000;               // the first N of its training split; 0: all
  std::string test_data;   // the accuracies' data; empty: calibration_data's
  int64_t test_limit = 0;  // the first N test images; 0: all
  // Epochs of quantization-aware fine-tuning (straight-through estimator) on calibration_data's
  // training split before export; 0: post-training quantization only.
  int64_t qat_epochs = 0;
  // Its SGD settings: no weight decay, as the grid, not a penalty, bounds the weights then.
  FineTuneSettings qat{64, 1, 1, 0.005f, 0.9f, 0.0f};
  int64_t train_limit = 0;  // fine-tuning on the first N training images; 0: all
};

// What quantize_model reports as it runs; every member may be left empty.
struct QuantizeCallbacks {
  // Before fine-tuning starts: the post-training quantized model's test evaluation.
  std::function<void(const Evaluation& post_training)> on_post_training;
  FineTuneCallbacks fine_tune;  // the qat phase
};

struct QuantizeResult {
  QdqModel model;            // the QDQ graph, `record` in its metadata, and its weights' sizes
  CompressionRecord record;  // the float model's, with the quantization added
  Evaluation before;         // the float model on the test split
  Evaluation after;          // the quantized model on it
  std::optional<Evaluation> post_training;  // with fine-tuning: quantized without it
  std::string test_data;                    // the test split's name, for messages
  int64_t float_model_bytes = 0;            // every initializer of the float model
  int64_t quantized_model_bytes = 0;        // the quantized weights and all other initializers
};

// Throws InputError for a combination quantize_model refuses: weight bits other than 4 or 8,
// two-level scales without per-vector symmetric weights or outside 2-8 bits, a calibration
// percentile outside (50, 100]. quantize_model checks it too; a caller may check before it loads
// the model.
void validate_quantize_request(const QuantizeRequest& request);

// Quantizes `model` (one float input, logits out) as `request` says. Throws InputError for a bad
// request, data, or a model already quantized, what quantize_post_training throws, and what
// training throws.
QuantizeResult quantize_model(const Graph& model, const QuantizeRequest& request,
                              const QuantizeCallbacks& callbacks = {});

}  // namespace sinter
