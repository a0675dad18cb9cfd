#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels {

namespace {
template <class F, class X, class Q>
void quantize_all(const X* x, Q* y, AxisLayout layout, const float* scale,
                  const int32_t* zero_point, IntRange range) {
  for (int64_t i = 0; i < layout.numel(); ++i) {
    const int64_t c = layout.param_index(i);
    y[i] = static_cast<Q>(quantize_value(static_cast<F>(x[i]), static_cast<F>(scale[c]),
                                         zero_point ? zero_point[c] : 0, range));
  }
}

template <class Q>
void dequantize_all(const Q* x, float* y, AxisLayout layout, const float* scale,
                    const int32_t* zero_point) {
  for (int64_t i = 0; i < layout.numel(); ++i) {
    const int64_t c = layout.param_index(i);
    y[i] = dequantize_value(x[i], scale[c], zero_point ? zero_point[c] : 0);
  }
}
}  // namespace

void quantize_linear_reference(const float* x, int8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range) {
  quantize_all<float>(x, y, layout, scale, zero_point, range);
}
void quantize_linear_reference(const float* x, uint8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range) {
  quantize_all<float>(x, y, layout, scale, zero_point, range);
}
void quantize_linear_reference(const int32_t* x, int8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range) {
  quantize_all<double>(x, y, layout, scale, zero_point, range);
}
void quantize_linear_reference(const int32_t* x, uint8_t* y, AxisLayout layout, const float* scale,
                               const int32_t* zero_point, IntRange range) {
  quantize_all<double>(x, y, layout, scale, zero_point, range);
}

void dequantize_linear_reference(const int8_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point) {
  dequantize_all(x, y, layout, scale, zero_point);
}
void dequantize_linear_reference(const uint8_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point) {
  dequantize_all(x, y, layout, scale, zero_point);
}
void dequantize_linear_reference(const int32_t* x, float* y, AxisLayout layout, const float* scale,
                                 const int32_t* zero_point) {
  dequantize_all(x, y, layout, scale, zero_point);
}

}  // namespace sinter::kernels
