#pragma once
// Gradients of 2-D max and average pooling (NCHW), for training. Plain loops split over planes:
// pooling backward is a small share of a CNN's training step next to the convolutions.
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {

// dx = dy routed to each window's maximum (its first occurrence, as the forward pass picks).
void max_pool2d_backward(const Pool2dParams& p, const float* x, const float* dy, float* dx,
                         ThreadPool* pool = nullptr);
// dx = dy shared evenly over each window's counted positions (the forward divisor).
void avg_pool2d_backward(const Pool2dParams& p, const float* dy, float* dx,
                         ThreadPool* pool = nullptr);

}  // namespace sinter::kernels
