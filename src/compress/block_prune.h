#pragma once
// Pruning with the same number of survivors in every block of consecutive weights along the
// reduction axis, so that threads (or vector lanes) given equal blocks get equal work: Balanced
// Sparsity's blocks of B and the N:M pattern (at most N nonzeros in every M) that sparse tensor
// hardware reads. And pruning in whole blocks of consecutive outputs at one reduction entry, which
// the block-sparse kernels (kernels/sparse/bsr_conv2d) read with one input load for the block.
//
// The reduction axis is each row of w viewed as [dim 0, everything else]: a flattened filter of
// Conv weights [out, in, kh, kw] or a row of Gemm weights stored [out, in]. Each row is cut into
// blocks from its start; a row whose length is not a multiple of the block size ends in a shorter
// tail block. Within a block the largest |w| survive, ties going to the lower index. Each result
// is the Euclidean projection onto its constraint set.
#include <cstdint>

#include "compress/mask.h"
#include "core/tensor.h"

namespace sinter {

// Keeps kept_count(block_len, sparsity) entries of every block of `block` (the tail block keeps
// kept_count of its own length, so it is as sparse as the rest). Throws InputError for rank < 2,
// block < 1, a sparsity outside [0, 1) or non-float32 weights.
Mask balanced_mask(const Tensor& w, int64_t block, double sparsity);

// Keeps the n largest of every m consecutive entries (all of a tail shorter than n). Throws
// InputError unless 1 <= n <= m, and for rank < 2 or non-float32 weights.
Mask n_of_m_mask(const Tensor& w, int64_t n, int64_t m);

// Keeps the kept_count(blocks, sparsity) blocks of largest L2 norm, a block being `rows`
// consecutive rows (outputs; fewer in the last) at one column of the reduction axis; ties go to
// the lower block. Throws InputError for rows < 1, a sparsity outside [0, 1), rank < 2 or
// non-float32 weights.
Mask output_block_mask(const Tensor& w, int64_t rows, double sparsity);

}  // namespace sinter
