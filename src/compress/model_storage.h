#pragma once
// A pruned model's size as a whole: its weights counted and its float32 initializers' bytes in
// each storage format that fits the plan (storage_size.h per tensor): dense, the pruned weights in
// CSR, filter/channel pruning's shrunken tensors, and pattern pruning's ids and bitmaps.
// Weights the plan leaves alone (biases, BatchNorm, dense layers) count dense in every format.
// measure_stored_size counts a model file as it is, float or QDQ, pruned or not, without the plan:
// what `sinter compress-report` compares.
#include <cstdint>

#include "compress/prune_plan.h"
#include "compress/storage_size.h"
#include "ir/graph.h"

namespace sinter {

struct ModelStorage {
  int64_t total_weights = 0;      // elements of every float32 initializer
  int64_t nonzeros = 0;           // of them, nonzero
  int64_t prunable_weights = 0;   // elements of the plan's targets
  int64_t prunable_nonzeros = 0;  // of them, nonzero
  int64_t dense_bytes = 0;        // everything dense
  int64_t csr_bytes = 0;          // targets in CSR
  int64_t compact_bytes = 0;      // filter and channel schemes: targets without their zero
                                  // filters and channels; 0 for the other schemes
  int64_t pattern_bytes = 0;      // pattern scheme: pattern targets as pattern storage, the
                                  // others in CSR, plus the pattern set (9 bits a pattern); 0
                                  // for the other schemes

  double sparsity() const;           // of all weights
  double prunable_sparsity() const;  // of the targets
};

// Throws what storage_size.h throws, e.g. InputError when a pattern target holds a kernel with
// more than 4 nonzeros (it was not pattern-pruned).
ModelStorage measure_storage(const Graph& model, const PrunePlan& plan);

// A model's size as its file holds it, float or QDQ, read without the plan that pruned it.
struct StoredModelSize {
  int64_t weights = 0;            // elements of the float weights and of the quantized ones
  int64_t nonzeros = 0;           // of them, nonzero
  int64_t quantized_weights = 0;  // of `weights`, those held as integers
  int64_t dense_bytes = 0;        // every weight as float32
  int64_t bytes = 0;              // in the format at the values' width, params counted
  int64_t param_bytes = 0;        // of `bytes`: quantization scales and zero points as stored
};

// Each weight in `format` where that is smaller than dense (best_storage), at its values' real
// width: 32 bits for float weights, `quantized_bits` for the integers of a QDQ model
// (find_qdq_weights), whose pruned zeros are held as their zero point. Quantization scales and
// zero points count as stored; under kPattern the pattern set of `pattern_count` patterns counts
// 9 bits a pattern. Integer constants that only shape tensors (Reshape targets) are structure,
// not data, and initializers no node reads are not part of the network: neither is counted. Throws
// what storage_size.h and find_qdq_weights throw.
StoredModelSize measure_stored_size(const Graph& model, StorageFormat format, int64_t pattern_count,
                                    int quantized_bits);

}  // namespace sinter
