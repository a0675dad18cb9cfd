// The sparse convolutions' input copy and epilogue in plain C++: input rows into zero-padded
// rows; flat sums to output rows, with bias, residual and activation.
#include <algorithm>

#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter::detail {

void copy_padded_rows_portable(const float* src, int64_t src_stride, int64_t stride_w,
                               int64_t count, int64_t start, float* dst, int64_t row_length,
                               int64_t rows) {
  for (int64_t q = 0; q < rows; ++q) {
    float* row = dst + q * row_length;
    const float* in = src + q * src_stride;
    std::fill(row, row + start, 0.0f);
    for (int64_t i = 0; i < count; ++i) row[start + i] = in[i * stride_w];
    std::fill(row + start + count, row + row_length, 0.0f);
  }
}

void finish_shifted_planes_portable(const Conv2dShape& s, int64_t row_length, const float* flat,
                                    int64_t flat_size, int64_t oy0, int64_t oy1, const float* bias,
                                    const float* residual, const Activation& act, float* y,
                                    int64_t m0, int64_t m1) {
  const int64_t OW = s.OW(), plane = s.OH() * OW;
  for (int64_t m = m0; m < m1; ++m)
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const float* sums = flat + (m - m0) * flat_size + (oy - oy0) * row_length;
      const int64_t out = (m - m0) * plane + oy * OW;
      for (int64_t ox = 0; ox < OW; ++ox) {
        float v = sums[ox] + (bias ? bias[m] : 0.0f);
        if (residual) v += residual[out + ox];
        y[out + ox] = act.apply(v);
      }
    }
}

}  // namespace sinter::detail
