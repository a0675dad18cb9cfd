#include "kernels/conv/conv2d_live_taps.h"

namespace sinter {

namespace {

// The first and last taps along one axis that read the input at some output position, or
// {-1, -1} when none does. Tap k reads in * stride - pad + k * dilation over the outputs.
std::pair<int64_t, int64_t> live_range(int64_t in, int64_t out, int64_t kernel, int64_t stride,
                                       int64_t pad, int64_t dilation) {
  int64_t first = -1, last = -1;
  for (int64_t k = 0; k < kernel; ++k) {
    const int64_t lowest = k * dilation - pad, highest = (out - 1) * stride - pad + k * dilation;
    if (highest < 0 || lowest >= in) continue;
    if (first < 0) first = k;
    last = k;
  }
  return {first, last};
}

}  // namespace

std::optional<LiveTaps> cut_dead_taps(const Conv2dShape& s, const float* w) {
  const auto [top, bottom] = live_range(s.H, s.OH(), s.KH, s.stride_h, s.pad_top, s.dilation_h);
  const auto [left, right] = live_range(s.W, s.OW(), s.KW, s.stride_w, s.pad_left, s.dilation_w);
  if (top < 0 || left < 0) return std::nullopt;
  if (top == 0 && bottom == s.KH - 1 && left == 0 && right == s.KW - 1) return std::nullopt;
  LiveTaps cut{s, {}};
  Conv2dShape& c = cut.shape;
  c.KH = bottom - top + 1;
  c.KW = right - left + 1;
  c.pad_top = s.pad_top - top * s.dilation_h;
  c.pad_bottom = s.pad_bottom - (s.KH - 1 - bottom) * s.dilation_h;
  c.pad_left = s.pad_left - left * s.dilation_w;
  c.pad_right = s.pad_right - (s.KW - 1 - right) * s.dilation_w;
  if (c.pad_top < 0 || c.pad_bottom < 0 || c.pad_left < 0 || c.pad_right < 0) return std::nullopt;
  const int64_t filters = s.M * (s.C / s.group);
  cut.weights.reserve(static_cast<size_t>(filters * c.KH * c.KW));
  for (int64_t f = 0; f < filters; ++f)
    for (int64_t kh = top; kh <= bottom; ++kh)
      for (int64_t kw = left; kw <= right; ++kw)
        cut.weights.push_back(w[(f * s.KH + kh) * s.KW + kw]);
  return cut;
}

}  // namespace sinter
