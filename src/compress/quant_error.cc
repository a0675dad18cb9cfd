#include "compress/quant_error.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sinter {

QuantError quantization_error(const Tensor& reference, const Tensor& approx) {
  if (reference.dtype() != DType::kFloat32 || approx.dtype() != DType::kFloat32)
    throw InputError(cat("quantization error: needs float32 tensors, got ",
                         dtype_name(reference.dtype()), " and ", dtype_name(approx.dtype())));
  if (reference.shape() != approx.shape())
    throw InputError(cat("quantization error: shapes ", shape_str(reference.shape()), " and ",
                         shape_str(approx.shape()), " differ"));
  QuantError e;
  const float* a = reference.data<float>();
  const float* b = approx.data<float>();
  double sum = 0;  // summed in order, so the result does not depend on anything but the values
  for (int64_t i = 0; i < reference.numel(); ++i) {
    const double d = static_cast<double>(b[i]) - static_cast<double>(a[i]);
    sum += d * d;
    e.max_abs = std::max(e.max_abs, std::fabs(d));
  }
  if (reference.numel() > 0) e.mse = sum / static_cast<double>(reference.numel());
  return e;
}

}  // namespace sinter
