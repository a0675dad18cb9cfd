#pragma once
// Convolution with weights pruned in blocks of kFilters consecutive filters at one tap (c, ky,
// kx): block-sparse rows (BSR) whose blocks are columns of kFilters weights, each with the tap's
// offset into the padded input (ShiftedPlanes). A tile of flat outputs loads a block's shifted
// input run once for all its filters, where the CSR kernel loads it once per weight: half the
// loads per multiply-add or fewer. A block multiplies its zeros too, so bsr_conv2d_pays takes
// the kernel only for weights whose blocks are nearly full (block_fill). Ungrouped convs of any
// kernel size, padding and dilation, at strides up to ShiftedPlanes::kMaxStride. Tested against
// conv2d_reference on the same dense weights.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

struct BsrWeights {
  // Filters a block: with 4 vectors of 16 outputs a tile, 16 accumulators at AVX-512 and half
  // the loads of CSR (4 input loads and 4 broadcasts for 16 multiply-adds).
  static constexpr int64_t kFilters = 4;
  int64_t block_rows = 0;  // ceil(M / kFilters)
  // Each block row's blocks in kChannelBlocks blocks of input channels, so that threads sharing a
  // small image can split them (ShiftedPlanes::run): block_rows * channel_blocks + 1 entries into
  // offset, block row r's blocks of channel block b from entry r * channel_blocks + b. Few and
  // large: blocks that fit L1 cost more in reloaded sums than they saved (docs/PERFORMANCE.md).
  static constexpr int64_t kChannelBlocks = 4;
  int64_t channel_block = 0, channel_blocks = 0;
  std::vector<int32_t> block_begin;
  std::vector<int32_t> offset;  // each block's tap offset into the padded planes
  std::vector<float> value;     // kFilters weights a block, filter order (zero past M)
};

class BsrConv2d {
 public:
  static bool supports(const Conv2dShape& s) { return ShiftedPlanes::supports(s); }
  // The share of the blocks' multiply-adds that are on nonzero weights: 1 for weights pruned in
  // whole blocks, about 0.3 for 90 % unstructured zeros (1 when all weights are zero).
  static double block_fill(const Conv2dShape& s, const float* weights);
  // Copies what it needs; bias may be null. The loops are those of `isa`'s tier.
  BsrConv2d(const Conv2dShape& s, const float* weights, const float* bias, const Activation& act,
            Isa isa = active_isa());
  // y = act(conv(x, w) + bias + residual); residual (shaped like y) may be null.
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;

 private:
  ShiftedPlanes planes_;
  BsrWeights w_;
  std::vector<float> bias_;
  Activation act_;
  const SparseKernels* k_;
};

}  // namespace sinter
