#pragma once
// Kernels that copy each input plane into a larger zero-bordered scratch plane (direct and sparse
// convolution, AVX2 depthwise convolution and pooling) are chosen only while that plane stays
// close to the input's size. Pads, kernels or dilations far larger than the input are legal but
// would make the copy huge; kernels that clip their windows to the input take those shapes.
#include <cstdint>

namespace sinter::kernels {

// One spatial dim of a sliding window.
struct WindowDim {
  int64_t in, pad_begin, pad_end, kernel, dilation, stride;
};

inline bool padded_copy_is_small(const WindowDim& h, const WindowDim& w) {
  // Bounds every layout of the plane: the input, both pads, one window and a vector of slack
  // (doubles: the terms may each be near int64's limit).
  auto bound = [](const WindowDim& d) {
    return static_cast<double>(d.in) + static_cast<double>(d.pad_begin) +
           static_cast<double>(d.pad_end) + static_cast<double>(d.kernel) * d.dilation +
           2.0 * d.stride + 16;
  };
  return bound(h) * bound(w) <= 4.0 * static_cast<double>(h.in) * static_cast<double>(w.in) + 65536;
}

}  // namespace sinter::kernels
