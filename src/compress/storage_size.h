#pragma once
// Bytes needed to store one pruned weight tensor in each format that the structured against
// non-structured comparison (ADMM-NN-S) weighs, with indices counted: what a sparse format saves
// in values it partly spends again on indices.
//
// Every array is counted in whole bytes, rounded up. Values take `value_bits` each (32 for
// float32, 8 or 4 for quantized survivors); quantization scales and the model-wide pattern set
// are not per-tensor data and are left to the caller.
#include <cstdint>

#include "core/tensor.h"

namespace sinter {

struct StorageSize {
  int64_t value_bytes = 0;
  // Everything that is not a weight value: column indices, row pointers, pattern ids, bitmaps.
  int64_t index_bytes = 0;
  int64_t total() const { return value_bytes + index_bytes; }
};

// The storage format a whole model's weights are counted in: the one that fits how it was pruned.
enum class StorageFormat {
  kDense,    // not pruned
  kCsr,      // unstructured, balanced, N:M
  kCompact,  // filter and channel pruning's shrunken tensors
  kPattern,  // pattern pruning (3x3 kernels that fit it; the other weights in CSR)
};

// "dense", "csr", "compact", "pattern".
const char* storage_format_name(StorageFormat format);

// Bits of the narrowest of 8, 16, 32 and 64-bit integers that holds every value in [0, max]: the
// width a kernel would read an index with.
int index_bits_for(int64_t max_value);

// Every element, zeros included. Any rank.
StorageSize dense_storage(const Tensor& w, int value_bits);

// Compressed sparse rows over w viewed as [dim 0, everything else]: the nonzero values, a column
// index each (index_bits_for(columns - 1)) and rows + 1 row pointers (index_bits_for(nonzeros)).
// Rank >= 2.
StorageSize csr_storage(const Tensor& w, int value_bits);

// Filter and channel pruning shrink the tensor itself: the filters (dim 0) and input channels
// (dim 1) that hold any nonzero, stored dense with nothing else. The layers beside it shrink too;
// that saving belongs to them. Rank >= 2.
StorageSize compact_dense_storage(const Tensor& w, int value_bits);

// Pattern pruning of [out, in, 3, 3] weights: a bitmap of one bit per kernel saying whether
// connectivity pruning kept it, and for each kept (nonzero) kernel a pattern id of
// ceil(log2(pattern_count)) bits and its 4 values. Throws InputError when a kernel has more than 4
// nonzeros (the tensor is not pattern-pruned) or pattern_count is outside [1, 56].
StorageSize pattern_storage(const Tensor& w, int64_t pattern_count, int value_bits);

// The smallest of dense storage and what `format` offers this tensor, as a model stored in that
// format would hold it: CSR and compacting need rank >= 2; pattern storage takes 3x3 conv
// weights of at most 4 nonzeros a kernel, and CSR the rest. A tensor no format helps (a bias, a
// dense layer) stays dense. Any rank.
StorageSize best_storage(const Tensor& w, StorageFormat format, int64_t pattern_count,
                         int value_bits);

}  // namespace sinter
