#pragma once
// 2-D pooling over NCHW float tensors, with ONNX semantics.
#include <cstdint>

#include "core/thread_pool.h"

namespace sinter::kernels {

struct Pool2dParams {
  int64_t batch = 1, channels = 1, in_h = 1, in_w = 1;
  int64_t kernel_h = 1, kernel_w = 1;
  int64_t stride_h = 1, stride_w = 1;
  int64_t pad_top = 0, pad_left = 0, pad_bottom = 0, pad_right = 0;
  int64_t dilation_h = 1, dilation_w = 1;
  // ceil_mode rounds the output size up, but (as in PyTorch and ONNX) a window that would start
  // inside the bottom/right padding is dropped.
  bool ceil_mode = false;
  // AveragePool: whether padded positions count in the divisor. Positions past the explicit
  // padding (reached only through ceil_mode) never count.
  bool count_include_pad = false;

  int64_t out_h() const;
  int64_t out_w() const;
  int64_t planes() const { return batch * channels; }
};

// One output extent: floor or ceil of (in + pads - dilated kernel) / stride, plus one.
int64_t pool_out_size(int64_t in, int64_t kernel, int64_t stride, int64_t pad_begin,
                      int64_t pad_end, int64_t dilation, bool ceil_mode);

// MaxPool: a NaN in a window gives NaN (like PyTorch); a window with no input element gives
// -inf. y is [batch, channels, out_h, out_w]. Planes are split over `pool` (may be null).
void max_pool2d(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool = nullptr);
// AveragePool.
void avg_pool2d(const Pool2dParams& p, const float* x, float* y, ThreadPool* pool = nullptr);
// GlobalAveragePool / GlobalMaxPool: y[i] = mean / max of x[i*plane_size ... +plane_size).
void global_avg_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool = nullptr);
void global_max_pool(const float* x, float* y, int64_t planes, int64_t plane_size,
                     ThreadPool* pool = nullptr);

// Plain-loop twins.
void max_pool2d_reference(const Pool2dParams& p, const float* x, float* y);
void avg_pool2d_reference(const Pool2dParams& p, const float* x, float* y);
void global_avg_pool_reference(const float* x, float* y, int64_t planes, int64_t plane_size);
void global_max_pool_reference(const float* x, float* y, int64_t planes, int64_t plane_size);

namespace detail {
// Portable bodies over planes [plane_begin, plane_end), serial, for any geometry: windows are
// clipped to the input first, so huge kernels and pads cost no more than the input they cover.
void max_pool2d_portable(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                         int64_t plane_end);
void avg_pool2d_portable(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                         int64_t plane_end);
// AVX2 bodies over planes [plane_begin, plane_end), serial; exposed for tests. The 2-D ones
// require dilation 1 and stride 1 or 2 (pool2d_avx2_supports).
bool pool2d_avx2_supports(const Pool2dParams& p);
void max_pool2d_avx2(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                     int64_t plane_end);
void avg_pool2d_avx2(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                     int64_t plane_end);
void global_avg_pool_avx2(const float* x, float* y, int64_t planes, int64_t plane_size);
void global_max_pool_avx2(const float* x, float* y, int64_t planes, int64_t plane_size);
}  // namespace detail

}  // namespace sinter::kernels
