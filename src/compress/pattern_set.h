#pragma once
// The kernel patterns of pattern pruning (PatDNN) for 3x3 convolutions, and the choice of a small
// pattern set from trained weights.
//
// Candidates: every 4-tap subset of the 3x3 grid that includes the center tap, C(8, 3) = 56 of
// them. Like PatDNN we always keep the center, which PatDNN finds the most important tap of trained
// kernels (its patterns resemble Gaussian and Laplacian-of-Gaussian filters), and keep four taps:
// 4 of 9 weights per kernel, and a set of up to 16 patterns needs only a 4-bit id per kernel.
#include <cstdint>
#include <vector>

#include "core/tensor.h"

namespace sinter {

// One pattern: bit 3 * row + col is set for each kept tap of the 3x3 kernel (bit 4 is the center).
using KernelPattern = uint16_t;

inline constexpr int kPatternTaps = 4;
inline constexpr int kCandidatePatternCount = 56;

// The 56 candidates in increasing bit value; "candidate index" means a position in this list.
const std::vector<KernelPattern>& candidate_patterns();

// Throws InputError unless `w` is float32 conv weights [out, in, 3, 3] with finite values.
void require_3x3_conv_weights(const Tensor& w, const char* who);

// Sum of squares of the taps of a 3x3 kernel (9 floats, row-major) that `pattern` keeps.
double pattern_energy(const float* kernel, KernelPattern pattern);

// For every candidate, how many kernels of `weights` (each [out, in, 3, 3]) it fits best: keeps
// the largest sum of squares, ties going to the lower candidate index. All-zero kernels (already
// pruned) vote for nothing. Throws InputError for weights that are not 3x3 conv weights.
std::vector<int64_t> count_best_patterns(const std::vector<Tensor>& weights);

// PatDNN's pattern set: the `count` candidates that are best most often over all the kernels of
// `weights` (usually every 3x3 conv of the model), most frequent first, ties in candidate order.
// Throws InputError unless 1 <= count <= 56, or when `weights` is empty.
std::vector<KernelPattern> select_pattern_set(const std::vector<Tensor>& weights, int64_t count);

}  // namespace sinter
