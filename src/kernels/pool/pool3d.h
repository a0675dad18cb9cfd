#pragma once
// 3-D pooling over NCDHW float tensors, with ONNX semantics. A pooling window is a product of one
// window per axis, so a 3-D pool is a 2-D pool of every depth plane followed by a pool over depth
// alone: maxima of maxima, and averages of averages whose divisors multiply per axis, as the
// window's count of taps does (inside the input, or inside the explicit padding with
// count_include_pad). Both passes run the 2-D kernels (pool2d.h).
#include <cstdint>

#include "core/tensor.h"
#include "core/thread_pool.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

struct Pool3dParams {
  // The height and width window; its batch and channels are those of the 3-D tensor, and its
  // ceil_mode and count_include_pad hold for depth too.
  Pool2dParams plane;
  int64_t in_d = 1, kernel_d = 1, stride_d = 1, dilation_d = 1, pad_front = 0, pad_back = 0;

  int64_t out_d() const;
};

// The 2-D pool of every (n, c, d) plane: [N*C*D planes of H x W] into [N*C*D planes of OH x OW].
Pool2dParams depth_planes_pass(const Pool3dParams& p);
// The pool over depth of the first pass's output: each (n, c) a plane of D rows of OH*OW values,
// pooled by a window of kernel_d rows and one column.
Pool2dParams depth_pass(const Pool3dParams& p);

// y is [N, C, OD, OH, OW]. `scratch` holds the intermediate [N, C, D, OH, OW] (counted against
// the memory limit as any tensor), kept by the caller from one run to the next. Planes are split
// over `pool` (may be null). MaxPool propagates NaN and gives -inf to a window with no input
// element, as the 2-D kernels do.
void max_pool3d(const Pool3dParams& p, const float* x, float* y, Tensor& scratch,
                ThreadPool* pool = nullptr);
void avg_pool3d(const Pool3dParams& p, const float* x, float* y, Tensor& scratch,
                ThreadPool* pool = nullptr);

// Plain loops over every tap of every 3-D window, by definition.
void max_pool3d_reference(const Pool3dParams& p, const float* x, float* y);
void avg_pool3d_reference(const Pool3dParams& p, const float* x, float* y);

}  // namespace sinter::kernels
