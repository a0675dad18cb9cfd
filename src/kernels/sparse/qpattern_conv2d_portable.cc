// The portable tier of the integer pattern convolution: each kept kernel's 4 products summed
// position by position, and requantize_value. The reference the vector tiers are tested against
// is qconv2d_reference on the same dense weights.
#include <cstring>

#include "kernels/sparse/qpattern_conv2d.h"

namespace sinter::kernels::detail {

namespace {

void to_planes_portable(const uint8_t* src, int64_t src_stride, int64_t n, int64_t C, uint8_t* dst,
                        int64_t dst_stride) {
  for (int64_t j = 0; j < n; ++j)
    for (int64_t c = 0; c < C; ++c) dst[c * dst_stride + j] = src[j * src_stride + c];
}

void tiles_portable(const QPatternWeights& w, const uint8_t* planes, int64_t tiles, int64_t m0,
                    int64_t m1, int32_t* sums, int64_t sums_stride) {
  const int64_t positions = tiles * w.tile;
  for (int64_t m = m0; m < m1; ++m)
    std::memset(sums + (m - m0) * sums_stride, 0, static_cast<size_t>(positions) * sizeof(int32_t));
  const int64_t g0 = m0 / kQPatternFilterGroup, g1 = (m1 - 1) / kQPatternFilterGroup + 1;
  for (int64_t g = g0; g < g1; ++g)
    for (int64_t b = 0; b < w.channel_blocks; ++b)
      for (int32_t v = w.group_visits[g * w.channel_blocks + b];
           v < w.group_visits[g * w.channel_blocks + b + 1]; ++v) {
        const QPatternVisit& visit = w.visits[v];
        int32_t* out = sums + (visit.filter - m0) * sums_stride;
        for (int32_t k = visit.k0; k < visit.k1; ++k) {
          const QPatternKernel& kernel = w.kernels[k];
          const QPatternPair& pair = w.pairs[w.block_pairs[b] + kernel.quads_offset / (w.tile * 4)];
          for (int tap = 0; tap < kPatternTaps; ++tap) {
            const int32_t weight = static_cast<int8_t>(kernel.weights >> (8 * tap));
            const uint8_t* x = planes + pair.tap_offset[tap];
            // Wrapping as vpdpbusd does: the sums of x * w (not x - x_zero_point) of a layer
            // with some 16,000 channels can pass 2^31, where only the requantized value is defined.
            for (int64_t p = 0; p < positions; ++p)
              out[p] = static_cast<int32_t>(static_cast<uint32_t>(out[p]) +
                                            static_cast<uint32_t>(weight * x[p]));
          }
        }
      }
}

void finish_row_portable(const int32_t* sums, int64_t sums_stride, int64_t count, int64_t filters,
                         const QRequant& requant, const uint8_t* residual, int64_t M, uint8_t* y) {
  for (int64_t i = 0; i < count; ++i)
    for (int64_t m = 0; m < filters; ++m) {
      const int32_t sum = sums[m * sums_stride + i];
      y[i * M + m] = residual
                         ? requantize_value(sum, requant.bias[m], requant.multiplier[m],
                                            residual[i * M + m], requant)
                         : requantize_value(sum, requant.bias[m], requant.multiplier[m], requant);
    }
}

}  // namespace

const QPatternKernels& qpattern_kernels_portable() {
  static constexpr QPatternKernels kernels = {to_planes_portable, tiles_portable,
                                              finish_row_portable};
  return kernels;
}

}  // namespace sinter::kernels::detail
