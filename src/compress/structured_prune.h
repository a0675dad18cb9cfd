#pragma once
// Structured pruning of whole filters (output channels, dim 0) or whole input channels (dim 1).
// The Euclidean projection onto "at most k filters nonzero" keeps the k filters of largest L2
// norm; likewise for channels. Works for Conv weights [out, in, kh, kw] and Gemm/MatMul weights
// stored [out, in].
#include "compress/mask.h"
#include "core/tensor.h"

namespace sinter {

// Keeps kept_count(dim 0, sparsity) filters w[o, ...] of largest L2 norm (ties: lower o).
// Throws InputError for rank < 2, a sparsity outside [0, 1) or non-float32 weights.
Mask filter_mask(const Tensor& w, double sparsity);

// Keeps kept_count(dim 1, sparsity) input channels w[:, c, ...] of largest L2 norm (ties: lower
// c). Same errors as filter_mask.
Mask channel_mask(const Tensor& w, double sparsity);

}  // namespace sinter
