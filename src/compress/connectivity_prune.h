#pragma once
// Connectivity pruning (PatDNN): removing whole kernels, the 2-D slices w[o, i, :, :] that connect
// input channel i to output channel o. The Euclidean projection onto "at most k kernels nonzero"
// keeps the k kernels of largest L2 norm.
#include <cstdint>

#include "compress/mask.h"
#include "core/tensor.h"

namespace sinter {

// How many of `kernels` survive a connectivity rate r >= 1 (keep 1/r of them, as PatDNN's "3.6x"):
// kernels / r rounded to nearest, at least one when kernels > 0. Throws InputError for r < 1 or
// r not finite.
int64_t kept_kernel_count(int64_t kernels, double connectivity_rate, const char* who);

// Keeps kept_kernel_count(out * in, rate) kernels of largest L2 norm (ties: lower o * in + i).
// Conv weights [out, in, kh, kw] of any kernel size. Throws InputError for another rank, a bad
// rate or non-float32 weights.
Mask connectivity_mask(const Tensor& w, double connectivity_rate);

}  // namespace sinter
