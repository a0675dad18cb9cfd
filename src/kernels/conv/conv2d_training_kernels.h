#pragma once
// The SIMD kernels of the convolution gradients (conv2d_backward.h), one table per ISA tier
// (kernels/isa_tables.h). The tap-rows kernels have no portable code: where a tier's table holds
// none, the planners take the GEMM algorithms. The channels-last packing has code in every tier.
// A plan takes the table of the tier it is built for (active_isa() unless told) and keeps it.
#include <cstdint>

#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_tap_rows.h"
#include "kernels/conv/conv2d_weight_grad_dot.h"
#include "kernels/isa_tables.h"

namespace sinter {

struct ConvTrainingKernels {
  // Fills one image's tap-rows copy from x (the image's channel block, NCHW). Null: none.
  void (*copy_to_tap_rows)(const Conv2dShape& s, const TapRows& l, const float* x, float* planes);
  // partial[m * ld + t] += sum over pixels k of dy[m * OH*OW + k] * planes[tap_offset[t] + k],
  // for the M/group rows of dy (one group of `images` consecutive images: dy steps M*OH*OW
  // floats and planes l.floats from one image to the next) and taps [t0, t1), in register tiles
  // of `tile`. Null: none.
  void (*weight_grad_dot)(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
                          const float* planes, int64_t images, int64_t t0, int64_t t1,
                          float* partial, int64_t ld);
  // y[c * ldy + p] = sum_t w(c, t) * planes[l.tap_offset[t] + p] for c < rows and p < pixels,
  // with w packed by pack_tap_rows_conv_weights. The planes must stay readable 16 floats past
  // the copy. Null: none.
  void (*tap_rows_conv)(const float* packed_w, int64_t rows, const TapRows& l, const float* planes,
                        int64_t pixels, float* y, int64_t ldy);
  // dst[w * dst_stride + c] = src[c * src_stride + w] for c < channels (a multiple of 8) and
  // w < width.
  void (*transpose_to_channels_last)(const float* src, int64_t src_stride, int64_t channels,
                                     int64_t width, float* dst, int64_t dst_stride);
  // The channels-last im2col packer for nr = 16 (dst 32-byte aligned); pixel_offset holds kc
  // pixels' offsets (conv2d_weight_grad_packer.h).
  void (*pack_channels_last_im2col_nr16)(const int32_t* pixel_offset, int64_t kc,
                                         const int32_t* tap_offset, int64_t n0, int64_t nc,
                                         const float* plane, float* dst);
  bool has_tap_rows() const { return copy_to_tap_rows && weight_grad_dot && tap_rows_conv; }
};

const kernels::IsaTables<ConvTrainingKernels>& conv_training_kernels();

namespace detail {
// conv2d_training_kernels_{portable,avx2,avx512}.cc.
const ConvTrainingKernels& conv_training_kernels_portable();
const ConvTrainingKernels& conv_training_kernels_avx2();
const ConvTrainingKernels& conv_training_kernels_avx512();

// The kernels the tables are made of.
void transpose_to_channels_last_portable(const float* src, int64_t src_stride, int64_t channels,
                                         int64_t width, float* dst, int64_t dst_stride);
void pack_channels_last_im2col_nr16_portable(const int32_t* pixel_offset, int64_t kc,
                                             const int32_t* tap_offset, int64_t n0, int64_t nc,
                                             const float* plane, float* dst);
void copy_to_tap_rows_avx2(const Conv2dShape& s, const TapRows& l, const float* x, float* planes);
void weight_grad_dot_avx2(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
                          const float* planes, int64_t images, int64_t t0, int64_t t1,
                          float* partial, int64_t ld);
void tap_rows_conv_avx2(const float* packed_w, int64_t rows, const TapRows& l, const float* planes,
                        int64_t pixels, float* y, int64_t ldy);
void weight_grad_dot_avx512(const Conv2dShape& s, const TapRows& l, DotTile tile, const float* dy,
                            const float* planes, int64_t images, int64_t t0, int64_t t1,
                            float* partial, int64_t ld);
void tap_rows_conv_avx512(const float* packed_w, int64_t rows, const TapRows& l,
                          const float* planes, int64_t pixels, float* y, int64_t ldy);
void transpose_to_channels_last_avx2(const float* src, int64_t src_stride, int64_t channels,
                                     int64_t width, float* dst, int64_t dst_stride);
void pack_channels_last_im2col_nr16_avx2(const int32_t* pixel_offset, int64_t kc,
                                         const int32_t* tap_offset, int64_t n0, int64_t nc,
                                         const float* plane, float* dst);
}  // namespace detail

}  // namespace sinter
