#pragma once
// Pattern-sparse 3x3 convolution (PatDNN), for weights in which every 3x3 kernel keeps at most
// 4 taps (pattern pruning) and many kernels are entirely zero (connectivity pruning). At plan
// time each filter's kept kernels are listed in channel order, each with its 4 taps' offsets
// and weights.
// A tile of flat outputs (ShiftedPlanes) then accumulates, per kept kernel, 4 shifted input runs
// times a weight, a block of input channels at a time for a block of filters. Kernels are not
// grouped by pattern: with 8 patterns a filter of 9 kept kernels has groups of one or two, and a
// loop per group cost a mispredicted branch per kernel. Tested against conv2d_reference on the
// same dense weights.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/pattern_masks.h"
#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

// One kept kernel, as the tile loops read it: where each of its 4 taps reads in the padded planes
// (its channel's plane plus the tap's offset) and the 4 weights. Stored whole, not as a channel
// and a pattern number, so a kernel costs no dependent loads before its inputs can be read.
struct PatternKernel {
  int32_t offset[kPatternTaps];
  float weight[kPatternTaps];
};

// Input channels per block: the tile rows of 16 channels (their aligned copies, 12-48 KiB) stay
// in L1 while every filter adds its kernels on them; all filters in one block, as each block of
// filters read the channels' rows into L1 again (bench/sparse_bench.cc, BM_SparseConv2dVgg16,
// AVX-512: 1.1-1.2x over blocks of 32 channels and 32 filters; 8 channels, or 128 filters, slower).
inline constexpr int64_t kPatternChannelBlock = 16;
inline constexpr int64_t kPatternFilterBlock = 512;

struct PatternWeights {
  std::vector<PatternKernel> kernels;  // each filter's kept kernels, in channel order
  int64_t channel_blocks = 0;          // ceil(C / kPatternChannelBlock)
  // M * channel_blocks + 1 entries: filter m's kernels of channel block b start at entry
  // m * channel_blocks + b (each filter's kernels are in channel order).
  std::vector<int32_t> block_begin;
};

class PatternConv2d {
 public:
  // 3x3, ungrouped, strides up to ShiftedPlanes::kMaxStride (ShiftedPlanes::supports), and no
  // kernel with over 4 nonzero taps.
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
