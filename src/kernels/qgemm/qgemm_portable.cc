// The portable tier of the integer GEMM: the tile's loops in plain C++ (exact: integer sums).
#include <cstring>

#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels::detail {

namespace {
void tile(const QTile& t) {
  const int64_t width = t.blocks * kQBlock;
  for (int r = 0; r < t.rows; ++r)
    for (int64_t j = 0; j < width; ++j) {
      int32_t sum = 0;
      for (int64_t k = 0; k < t.k_blocks * kQBlock; ++k) {
        const uint8_t a = a_block(t, k / kQBlock)[r * t.a_row_stride + k % kQBlock];
        sum += static_cast<int32_t>(a) * t.w[(k / 4 * width + j) * 4 + k % 4];
      }
      const int64_t block = j / kQBlock, lane = j % kQBlock;
      if (!t.requant) {
        t.c[r * t.c_row_stride + block * t.c_block_stride + lane] = sum;
        continue;
      }
      const QRequant& q = *t.requant;
      uint8_t& y = t.y[r * t.y_row_stride + block * t.y_block_stride + lane];
      if (t.residual) {
        const uint8_t residual =
            t.residual[r * t.residual_row_stride + block * t.residual_block_stride + lane];
        y = requantize_value(sum, q.bias[j], q.multiplier[j], residual, q);
      } else {
        y = requantize_value(sum, q.bias[j], q.multiplier[j], q);
      }
    }
}
}  // namespace

const QGemmKernels& qgemm_kernels_portable() {
  static const QGemmKernels k{tile, kQTileRows};
  return k;
}

}  // namespace sinter::kernels::detail
