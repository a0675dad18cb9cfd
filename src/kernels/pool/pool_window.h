#pragma once
// Where a pooling window lies along one dim: which of its taps land inside the input, and how many
// inside the explicit padding (AveragePool's count_include_pad divisor). Shared by the float and
// the quantized pools, so both divide by the same count.
#include <algorithm>
#include <cstdint>

#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

// Taps [begin, end) of a window.
struct TapRange {
  int64_t begin, end;
  int64_t count() const { return end - begin; }
};

// The taps of a window whose tap 0 sits at `start` that land in [0, size).
inline TapRange taps_inside(int64_t start, int64_t kernel, int64_t dilation, int64_t size) {
  auto ceil_div = [](int64_t a, int64_t b) { return a / b + (a % b > 0); };
  const int64_t begin = start >= 0 ? 0 : std::min(kernel, ceil_div(-start, dilation));
  const int64_t end = start >= size ? 0 : std::min(kernel, ceil_div(size - start, dilation));
  return {begin, std::max(begin, end)};
}

// One dim of the geometry: where each output's window starts and which taps count.
struct PoolAxis {
  int64_t in, kernel, stride, dilation, pad_begin, pad_end;

  int64_t start(int64_t o) const { return o * stride - pad_begin; }
  TapRange inside(int64_t o) const { return taps_inside(start(o), kernel, dilation, in); }
  // Taps inside the explicit padding too (count_include_pad), never past it.
  int64_t padded_count(int64_t o) const {
    return taps_inside(start(o) + pad_begin, kernel, dilation, in + pad_begin + pad_end).count();
  }
};

inline PoolAxis pool_rows(const Pool2dParams& p) {
  return {p.in_h, p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom};
}
inline PoolAxis pool_cols(const Pool2dParams& p) {
  return {p.in_w, p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right};
}

}  // namespace sinter::kernels
