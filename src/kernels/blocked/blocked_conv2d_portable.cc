// The portable tier of the blocked convolution kernels: the tile loops of blocked_conv2d.h in
// plain C++, in the vector kernels' order of summation (bias first, then channels and taps).
#include <algorithm>

#include "kernels/blocked/blocked_conv2d.h"

namespace sinter::kernels::detail {

namespace {
constexpr int kB = static_cast<int>(kChannelBlock);

struct Accumulators {
  float v[kTileBlocks][kTilePixels][kB];

  explicit Accumulators(const BlockedTileOutput& o) {
    for (int b = 0; b < o.blocks; ++b)
      for (int j = 0; j < o.pixels; ++j)
        for (int l = 0; l < kB; ++l)
          v[b][j][l] = o.first_part ? o.bias[b * kB + l] : o.y[b * o.y_block_stride + j * kB + l];
  }

  void store(const BlockedTileOutput& o) const {
    for (int b = 0; b < o.blocks; ++b)
      for (int j = 0; j < o.pixels; ++j) {
        const int64_t at = b * o.y_block_stride + j * kB;
        for (int l = 0; l < kB; ++l) {
          float r = v[b][j][l];
          if (!o.last_part) {
            o.y[at + l] = r;
            continue;
          }
          if (o.residual) r += o.residual[at + l];
          o.y[at + l] = o.act.apply(r);
        }
      }
  }
};

void pointwise(const PointwiseTile& t) {
  Accumulators acc(t.out);
  const int width = t.out.blocks * kB;
  const float* w = t.w;
  for (int64_t cb = 0; cb < t.in_blocks; ++cb)
    for (int c = 0; c < kB; ++c, w += width)
      for (int j = 0; j < t.out.pixels; ++j) {
        const float xv = t.x[cb * t.x_block_stride + j * t.x_pixel_stride + c];
        for (int b = 0; b < t.out.blocks; ++b)
          for (int l = 0; l < kB; ++l) acc.v[b][j][l] += xv * w[b * kB + l];
      }
  acc.store(t.out);
}

void direct(const DirectTile& t) {
  Accumulators acc(t.out);
  const int width = t.out.blocks * kB;
  for (int64_t c = 0; c < t.channels; ++c) {
    const float* xc = t.x + t.channel_offset[c];
    for (int k = 0; k < t.taps; ++k) {
      const float* w = t.w + (c * t.kernel_taps + t.tap_index[k]) * width;
      for (int j = 0; j < t.out.pixels; ++j) {
        const float xv = xc[t.tap_offset[k] + j * t.x_pixel_step];
        for (int b = 0; b < t.out.blocks; ++b)
          for (int l = 0; l < kB; ++l) acc.v[b][j][l] += xv * w[b * kB + l];
      }
    }
  }
  acc.store(t.out);
}

void depthwise_row(const DepthwiseRow& r) {
  for (int64_t ow = 0; ow < r.OW; ++ow) {
    float acc[kB];
    std::copy(r.bias, r.bias + kB, acc);
    for (int64_t kh = 0; kh < r.KH; ++kh) {
      const int64_t ih = r.oh * r.stride_h - r.pad_top + kh * r.dilation_h;
      if (ih < 0 || ih >= r.H) continue;
      for (int64_t kw = 0; kw < r.KW; ++kw) {
        const int64_t iw = ow * r.stride_w - r.pad_left + kw * r.dilation_w;
        if (iw < 0 || iw >= r.W) continue;
        const float* xv = r.x + (ih * r.W + iw) * kB;
        const float* wv = r.w + (kh * r.KW + kw) * kB;
        for (int l = 0; l < kB; ++l) acc[l] += xv[l] * wv[l];
      }
    }
    for (int l = 0; l < kB; ++l) {
      float v = acc[l];
      if (r.residual) v += r.residual[ow * kB + l];
      r.y[ow * kB + l] = r.act.apply(v);
    }
  }
}
}  // namespace

const BlockedConvKernels& blocked_conv_kernels_portable() {
  static const BlockedConvKernels k{pointwise, direct, depthwise_row};
  return k;
}

}  // namespace sinter::kernels::detail
