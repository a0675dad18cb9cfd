#pragma once
// The tap masks of pattern-pruned 3x3 kernels (bit 3 * ky + kx set for a nonzero tap), shared by
// the float and integer pattern convolutions: a kernel's mask, a kernel of fewer than 4 taps
// completed to a 4-tap pattern, and whether a layer is pattern-sparse enough for them to pay.
#include <bit>
#include <cstdint>

namespace sinter {

inline constexpr int kKernelTaps = 9;
inline constexpr int kPatternTaps = 4;

template <class T>
uint32_t nonzero_taps(const T* kernel) {
  uint32_t mask = 0;
  for (int t = 0; t < kKernelTaps; ++t)
    if (kernel[t] != T{0}) mask |= 1u << t;
  return mask;
}

// The mask with its lowest free taps added up to 4 (those taps hold zeros).
inline uint32_t complete_to_four(uint32_t mask) {
  for (int t = 0; t < kKernelTaps && std::popcount(mask) < kPatternTaps; ++t) mask |= 1u << t;
  return mask;
}

// Measured with bench/sparse_bench.cc on vgg-small's convs (32 and 64 channels, 28x28 and 14x14,
// batch 1 and 64): the pattern kernel broke even at about 40 % nonzeros; the threshold sits below,
// where it was at least 1.2x faster. It multiplies 4 taps of every kept kernel, zeros included:
// pattern pruning fills the 4 taps, unstructured pruning rarely does.
inline constexpr double kPatternMaxDensity = 0.30;
inline constexpr double kPatternMinTapFill = 0.9;

// Whether `kernels` 3x3 kernels (9 values each) keep at most kPatternMaxDensity of their weights
// and fill at least kPatternMinTapFill of their kept kernels' 4 taps.
template <class T>
bool pattern_sparse_enough(const T* w, int64_t kernels) {
  int64_t kept = 0, nonzeros = 0;
  for (int64_t k = 0; k < kernels; ++k) {
    const int taps = std::popcount(nonzero_taps(w + k * kKernelTaps));
    kept += taps > 0;
    nonzeros += taps;
  }
  return nonzeros >= kPatternMinTapFill * kPatternTaps * static_cast<double>(kept) &&
         static_cast<double>(nonzeros) <= kPatternMaxDensity * static_cast<double>(kernels * 9);
}

}  // namespace sinter
