#pragma once
// The two gradients of a 2-D convolution (NCHW, any stride, padding, dilation and groups), for
// training: with respect to its input (dX) and to its weights (dW). Each is one GEMM per image
// and group around an im2col/col2im, with a plain-loop reference twin.
#include "kernels/conv/conv2d.h"

namespace sinter {

// dx [N, C, H, W] = d(loss)/dx from dy [N, M, OH, OW] and w [M, C/group, KH, KW]. Overwrites dx.
void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                          ThreadPool* pool);
// dw [M, C/group, KH, KW] = d(loss)/dw from x and dy, summed over the batch. Overwrites dw.
void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            ThreadPool* pool);

void conv2d_backward_data_reference(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx);
void conv2d_backward_weight_reference(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw);

}  // namespace sinter
