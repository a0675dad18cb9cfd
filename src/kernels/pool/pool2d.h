#pragma once
// 2-D pooling over NCHW float tensors, with ONNX semantics.
#include <cstdint>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

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

  // Floats from one plane to the next in x and y; 0: planes packed (in_h * in_w, out_h * out_w).
  // Forward pooling only: a fused producer pools a band of rows of each plane where it lies.
  int64_t in_plane = 0, out_plane = 0;

  int64_t out_h() const;
  int64_t out_w() const;
  int64_t planes() const { return batch * channels; }
  int64_t in_plane_stride() const { return in_plane ? in_plane : in_h * in_w; }
  int64_t out_plane_stride() const { return out_plane ? out_plane : out_h() * out_w(); }
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

// The kernels of one ISA tier (kernels/isa_tables.h). The 2-D ones compute planes
// [plane_begin, plane_end), serially; a tier's 2-D kernels run the shapes its `supports` accepts
// (the portable tier: all), and the dispatcher takes the best tier that accepts a shape. The
// global ones run any plane size.
struct PoolKernels {
  bool (*supports)(const Pool2dParams& p);
  void (*max_pool2d)(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                     int64_t plane_end);
  void (*avg_pool2d)(const Pool2dParams& p, const float* x, float* y, int64_t plane_begin,
                     int64_t plane_end);
  void (*global_avg_pool)(const float* x, float* y, int64_t planes, int64_t plane_size);
  void (*global_max_pool)(const float* x, float* y, int64_t planes, int64_t plane_size);
};
const IsaTables<PoolKernels>& pool_kernels();
// The best tier at or below active_isa() whose 2-D kernels run p.
const PoolKernels& pool_kernels_for(const Pool2dParams& p);

namespace detail {
// Portable (pool2d_portable.cc): windows are clipped to the input first, so huge kernels and
// pads cost no more than the input they cover; the same taps in the reference's order.
const PoolKernels& pool_kernels_portable();
// AVX2 (pool2d_avx2.cc) and AVX-512 (pool2d_avx512.cc): dilation 1, stride 1 or 2, and a
// bordered scratch copy of each plane that stays small.
const PoolKernels& pool_kernels_avx2();
const PoolKernels& pool_kernels_avx512();
}  // namespace detail

}  // namespace sinter::kernels
