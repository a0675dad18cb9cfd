#pragma once
// Unstructured (k-sparsity) pruning: the Euclidean projection onto tensors with at most k nonzeros
// keeps the k entries of largest magnitude anywhere in the tensor.
#include "compress/mask.h"
#include "core/tensor.h"

namespace sinter {

// Keeps kept_count(numel, sparsity) entries of largest |w|; equal magnitudes go to the lower flat
// index. Any rank. Throws InputError for a sparsity outside [0, 1) or non-float32 weights.
Mask unstructured_mask(const Tensor& w, double sparsity);

}  // namespace sinter
