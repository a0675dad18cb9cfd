#pragma once
// Pattern pruning (PatDNN) with optional connectivity pruning: the Euclidean projection onto 3x3
// conv weights whose every kernel is zero outside one pattern of a given set and of which at most
// a 1/rate share of kernels is nonzero.
#include <cstdint>
#include <vector>

#include "compress/mask.h"
#include "compress/pattern_set.h"
#include "core/tensor.h"

namespace sinter {

struct PatternPruning {
  Mask mask;
  // For each kernel w[o, i] (at o * in + i): the position of its pattern in the set, or -1 where
  // connectivity pruning removed the kernel.
  std::vector<int32_t> kernel_pattern;
};

// Gives each kernel the pattern of `set` that keeps the largest sum of squares (ties: earlier in
// the set), then keeps the kept_kernel_count(out * in, rate) kernels whose patterned sum of squares
// is largest (ties: lower kernel index). Ranking by what survives the pattern, not by the whole
// kernel's norm, is what makes the combination an exact projection. Rate 1 keeps every kernel.
// Throws InputError for weights that are not [out, in, 3, 3], a set that is empty, larger than 56,
// repeats a pattern or holds one that is not a candidate, or a rate below 1.
PatternPruning prune_to_patterns(const Tensor& w, const std::vector<KernelPattern>& set,
                                 double connectivity_rate = 1.0);

}  // namespace sinter
