#include "kernels/conv/conv2d_weight_grad_packer.h"

#include <algorithm>

#include "core/error.h"

namespace sinter {
namespace {

template <int NR>
void pack_channels_last(const int32_t* pixel_offset, int64_t kc, const int32_t* tap_offset,
                        int64_t n0, int64_t nc, const float* plane, float* dst) {
  for (int64_t j0 = 0; j0 < nc; j0 += NR) {
    const int cnt = static_cast<int>(std::min<int64_t>(NR, nc - j0));
    const int32_t* taps = tap_offset + n0 + j0;
    float* d = dst + j0 * kc;
    for (int64_t k = 0; k < kc; ++k, d += NR) {
      const float* src = plane + pixel_offset[k];
      for (int j = 0; j < cnt; ++j) d[j] = src[taps[j]];
      for (int j = cnt; j < NR; ++j) d[j] = 0.0f;
    }
  }
}

}  // namespace

namespace detail {

void transpose_to_channels_last_portable(const float* src, int64_t src_stride, int64_t channels,
                                         int64_t width, float* dst, int64_t dst_stride) {
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t w = 0; w < width; ++w) dst[w * dst_stride + c] = src[c * src_stride + w];
}

void pack_channels_last_im2col_nr16_portable(const int32_t* pixel_offset, int64_t kc,
                                             const int32_t* tap_offset, int64_t n0, int64_t nc,
                                             const float* plane, float* dst) {
  pack_channels_last<16>(pixel_offset, kc, tap_offset, n0, nc, plane, dst);
}

}  // namespace detail

ChannelsLastPlane channels_last_plane(const Conv2dShape& s) {
  return {s.H + s.pad_top + s.pad_bottom, s.W + s.pad_left + s.pad_right, s.C / s.group};
}

std::vector<int32_t> channels_last_tap_offsets(const Conv2dShape& s) {
  const ChannelsLastPlane p = channels_last_plane(s);
  // Offsets are 32-bit so that the AVX2 packer can gather with them.
  if (p.floats() > INT32_MAX)
    throw UnsupportedError(cat("conv weight gradient: an image of ", p.floats(),
                               " padded floats per group is too large"));
  std::vector<int32_t> off;
  off.reserve(static_cast<size_t>(s.KH * s.KW * p.channels));
  for (int64_t kh = 0; kh < s.KH; ++kh)
    for (int64_t kw = 0; kw < s.KW; ++kw)
      for (int64_t c = 0; c < p.channels; ++c)
        off.push_back(
            static_cast<int32_t>((kh * s.dilation_h * p.wp + kw * s.dilation_w) * p.channels + c));
  return off;
}

void copy_to_channels_last(const Conv2dShape& s, const float* x, float* plane,
                           const ConvTrainingKernels& k) {
  const ChannelsLastPlane p = channels_last_plane(s);
  const int64_t C = p.channels;
  const int64_t in_blocks = C / 8 * 8;
  for (int64_t h = 0; h < s.H; ++h) {
    float* row = plane + ((h + s.pad_top) * p.wp + s.pad_left) * C;
    if (in_blocks) k.transpose_to_channels_last(x + h * s.W, s.H * s.W, in_blocks, s.W, row, C);
    for (int64_t c = in_blocks; c < C; ++c) {
      const float* src = x + (c * s.H + h) * s.W;
      for (int64_t w = 0; w < s.W; ++w) row[w * C + c] = src[w];
    }
  }
}

ChannelsLastIm2colPacker::ChannelsLastIm2colPacker(const Conv2dShape& s, const int32_t* tap_offset,
                                                   int64_t taps, const float* plane,
                                                   const ConvTrainingKernels& k)
    : s_(s), tap_offset_(tap_offset), taps_(taps), plane_(plane), k_(k) {}

void ChannelsLastIm2colPacker::pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr,
                                    float* dst) const {
  SINTER_CHECK(n0 + nc <= taps_, "channels-last im2col: columns past the taps");
  const ChannelsLastPlane p = channels_last_plane(s_);
  const int64_t OW = s_.OW();
  thread_local std::vector<int32_t> pixel_offset;
  pixel_offset.resize(static_cast<size_t>(kc));
  for (int64_t k = 0, oh = k0 / OW, ow = k0 % OW; k < kc; ++k) {
    pixel_offset[static_cast<size_t>(k)] =
        static_cast<int32_t>((oh * s_.stride_h * p.wp + ow * s_.stride_w) * p.channels);
    if (++ow == OW) {
      ow = 0;
      ++oh;
    }
  }
  const int32_t* po = pixel_offset.data();
  switch (nr) {
    case 8:
      return pack_channels_last<8>(po, kc, tap_offset_, n0, nc, plane_, dst);
    case 16:
      return k_.pack_channels_last_im2col_nr16(po, kc, tap_offset_, n0, nc, plane_, dst);
    case 32:
      return pack_channels_last<32>(po, kc, tap_offset_, n0, nc, plane_, dst);
    default:
      SINTER_CHECK(false, "channels-last im2col: no packer for nr=", nr);
  }
}

}  // namespace sinter
