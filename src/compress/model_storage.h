#pragma once
// A pruned model's size as a whole: its weights counted and its float32 initializers' bytes in
// each storage format that fits the plan (storage_size.h per tensor): dense, the pruned weights in
// CSR, filter/channel pruning's shrunken tensors, and pattern pruning's ids and bitmaps.
// Weights the plan leaves alone (biases, BatchNorm, dense layers) count dense in every format.
#include <cstdint>

#include "compress/prune_plan.h"
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

}  // namespace sinter
