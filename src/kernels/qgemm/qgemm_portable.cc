// The portable tier of the integer GEMM: the tile's loops in plain C++ (exact: integer sums; per
// vector, the scalar definition's float steps).
#include <cstring>

#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels::detail {

namespace {
int32_t weight_at(const QTile& t, const QGroupLayout& layout, int64_t k, int64_t j) {
  const int8_t byte = t.w[layout.weight_byte(k, j)];
  if (t.weight_bits == 8) return byte;
  const int nibble = (layout.high_nibble(k) ? byte >> 4 : byte) & 0xf;
  return (nibble ^ 8) - 8;  // sign-extended from 4 bits
}

// sum over k in [k0, k1) of A[r][k] * W[k][j].
int32_t dot(const QTile& t, const QGroupLayout& layout, int r, int64_t j, int64_t k0, int64_t k1) {
  int32_t sum = 0;
  for (int64_t k = k0; k < k1; ++k) {
    const uint8_t a = a_block(t, k / kQBlock)[r * t.a_row_stride + k % kQBlock];
    sum += static_cast<int32_t>(a) * weight_at(t, layout, k, j);
  }
  return sum;
}

// The column's float sum of per-vector weights (add_vector_sum in vector order).
float vector_sums(const QTile& t, const QGroupLayout& layout, int r, int64_t j) {
  float facc = 0;
  for (int64_t v = 0; v < t.k_blocks / t.vector_blocks; ++v) {
    float scale;
    std::memcpy(&scale, t.w + layout.scale_byte(v, j), 4);
    facc = add_vector_sum(
        facc, dot(t, layout, r, j, v * layout.vector_size, (v + 1) * layout.vector_size), scale);
  }
  return facc;
}

void tile(const QTile& t) {
  const int64_t width = t.blocks * kQBlock;
  const QGroupLayout layout{width, t.weight_bits, t.vector_blocks * kQBlock};
  for (int r = 0; r < t.rows; ++r)
    for (int64_t j = 0; j < width; ++j) {
      const int64_t block = j / kQBlock, lane = j % kQBlock;
      if (!t.requant) {
        t.c[r * t.c_row_stride + block * t.c_block_stride + lane] =
            dot(t, layout, r, j, 0, t.k_blocks * kQBlock);
        continue;
      }
      const QRequant& q = *t.requant;
      uint8_t& y = t.y[r * t.y_row_stride + block * t.y_block_stride + lane];
      const uint8_t* residual = t.residual ? t.residual + r * t.residual_row_stride +
                                                 block * t.residual_block_stride + lane
                                           : nullptr;
      if (t.vector_blocks) {
        const float facc = vector_sums(t, layout, r, j);
        y = residual ? requantize_vector_sums(facc, q.scaled_bias[j], q.multiplier[j], *residual, q)
                     : requantize_vector_sums(facc, q.scaled_bias[j], q.multiplier[j], q);
        continue;
      }
      const int32_t sum = dot(t, layout, r, j, 0, t.k_blocks * kQBlock);
      y = residual ? requantize_value(sum, q.bias[j], q.multiplier[j], *residual, q)
                   : requantize_value(sum, q.bias[j], q.multiplier[j], q);
    }
}
}  // namespace

const QGemmKernels& qgemm_kernels_portable() {
  static const QGemmKernels k{tile, kQTileRows};
  return k;
}

}  // namespace sinter::kernels::detail
