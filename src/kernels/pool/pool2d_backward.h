#pragma once
// Gradients of 2-D max and average pooling (NCHW), for training, split over (n, c) planes.
// Windows that tile the input without overlap or padding (kernel == stride, e.g. 2x2 stride 2)
// write each input gradient once, with no zero fill and no bounds checks; other windows scatter
// into a zeroed plane over bounds worked out once per row and column.
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

// dx = dy routed to each window's maximum: its first occurrence, or its first NaN, as the
// forward pass picks.
void max_pool2d_backward(const Pool2dParams& p, const float* x, const float* dy, float* dx,
                         ThreadPool* pool = nullptr);
// dx = dy shared evenly over each window's counted positions (the forward divisor).
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx,
                         ThreadPool* pool = nullptr);

// Plain-loop twins: every window scanned with bounds checks, serial.
void max_pool2d_backward_reference(const Pool2dParams& p, const float* x, const float* dy,
                                   float* dx);
void avg_pool2d_backward_reference(const Pool2dParams& p, const float* dy, float* dx);

// The kernels of one ISA tier (kernels/isa_tables.h), over planes [plane_begin, plane_end),
// serially, for any geometry. Only the portable tier has code so far: the others fall back to it.
struct PoolBackwardKernels {
  void (*max_pool2d_backward)(const Pool2dParams& p, const float* x, const float* dy, float* dx,
                              int64_t plane_begin, int64_t plane_end);
  void (*avg_pool2d_backward)(const Pool2dParams& p, const float* dy, float* dx,
                              int64_t plane_begin, int64_t plane_end);
};
const IsaTables<PoolBackwardKernels>& pool_backward_kernels();

namespace detail {
const PoolBackwardKernels& pool_backward_kernels_portable();  // pool2d_backward_portable.cc
}  // namespace detail

}  // namespace sinter::kernels
