// The portable tier of (de)quantization: the scalar definitions over one run with its scale and
// zero point hoisted (the reference finds each element's channel by division).
#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels::detail {

namespace {
template <class Q>
void quantize_run(const float* x, Q* y, int64_t n, float scale, int32_t zero_point,
                  IntRange range) {
  for (int64_t i = 0; i < n; ++i)
    y[i] = static_cast<Q>(quantize_value(x[i], scale, zero_point, range));
}

template <class Q>
void dequantize_run(const Q* x, float* y, int64_t n, float scale, int32_t zero_point) {
  for (int64_t i = 0; i < n; ++i) y[i] = dequantize_value(x[i], scale, zero_point);
}
}  // namespace

const QuantizeKernels& quantize_kernels_portable() {
  static constinit const QuantizeKernels k{quantize_run<int8_t>, quantize_run<uint8_t>,
                                           dequantize_run<int8_t>, dequantize_run<uint8_t>,
                                           dequantize_run<int32_t>};
  return k;
}

}  // namespace sinter::kernels::detail
