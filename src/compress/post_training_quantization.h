#pragma once
// Post-training quantization of a float model in one call: BatchNorm folded into the weights it
// follows, the activations the quantized layers read observed over calibration images and
// calibrated, and the model exported with QuantizeLinear/DequantizeLinear (compress/qdq_export.h).
#include <cstdint>

#include "compress/qdq_export.h"
#include "compress/quant_calibration.h"

namespace sinter {

enum class ActivationQuantization {
  kNone,   // float activations: weights only
  kUint8,  // asymmetric, zero point in [0, 255]
  kInt8,   // symmetric, zero point 0
};

struct PtqOptions {
  QuantScheme weights;  // bits, symmetry, granularity, vector size (axes: each layer's own)
  ActivationQuantization activations = ActivationQuantization::kUint8;
  // How activation ranges are chosen (method, percentile); bits and symmetry follow
  // `activations`.
  CalibrationOptions calibration;
  int64_t batch = 256;  // calibration images per run
  int threads = 1;
  QdqFormat format;  // the file's opset: 4-bit types and blocked scales at 21
};

// Quantizes `float_model` (one float input) with activation ranges calibrated on `images`
// [N, ...] (unused, and may be empty, when activations stay float). Throws InputError for a
// model that is already quantized (naming the node), images that do not fit the model's input,
// or what export_qdq refuses.
QdqModel quantize_post_training(const Graph& float_model, const Tensor& images,
                                const PtqOptions& options);

}  // namespace sinter
