#pragma once
// Pattern-sparse 3x3 convolution (PatDNN), for weights in which every 3x3 kernel keeps at most
// 4 taps (pattern pruning) and many kernels are entirely zero (connectivity pruning). At plan
// time each filter's kept kernels are listed grouped by pattern: the layer's few patterns hold
// their 4 tap offsets once, each kernel only its input channel, a pattern number and 4 weights.
// A tile of flat outputs (ShiftedPlanes) then accumulates, per kept kernel, 4 shifted input runs
// times a weight. Each kernel names its pattern rather than each group looping over its kernels:
// with 8 patterns a filter of 9 kept kernels has groups of one or two, and a loop per group cost
// a mispredicted branch per kernel. Tested against conv2d_reference on the same dense weights.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

inline constexpr int kPatternConvTaps = 4;

struct PatternTaps {
  int32_t offset[kPatternConvTaps];  // each tap's place within a channel's padded plane
};

struct PatternWeights {
  std::vector<PatternTaps> patterns;    // the distinct patterns of the layer
  std::vector<int32_t> filter_begin;    // M + 1 entries into the kept kernels
  std::vector<int32_t> channel_offset;  // per kept kernel: where its channel's plane starts
  std::vector<int32_t> pattern;         // per kept kernel: its entry of `patterns`
  std::vector<float> weight;            // per kept kernel: 4 weights in its pattern's tap order
};

class PatternConv2d {
 public:
  // 3x3, ungrouped, stride 1 (ShiftedPlanes::supports), and no kernel with over 4 nonzero taps.
  static bool supports(const Conv2dShape& s, const float* weights);
  // Copies what it needs; bias may be null.
  // The loops are those of `isa`'s tier.
  PatternConv2d(const Conv2dShape& s, const float* weights, const float* bias,
                const Activation& act, Isa isa = active_isa());
  // y = act(conv(x, w) + bias + residual); residual (shaped like y) may be null.
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;

 private:
  ShiftedPlanes planes_;
  PatternWeights w_;
  std::vector<float> bias_;
  Activation act_;
  const SparseKernels* k_;
};

}  // namespace sinter
