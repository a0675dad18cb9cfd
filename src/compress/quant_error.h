#pragma once
// How far quantized values are from the originals.
#include "core/tensor.h"

namespace sinter {

struct QuantError {
  double mse = 0;      // mean of (approx - reference)^2
  double max_abs = 0;  // largest |approx - reference|
};

// Both tensors float32 of one shape, else InputError. An empty pair has no error.
QuantError quantization_error(const Tensor& reference, const Tensor& approx);

}  // namespace sinter
