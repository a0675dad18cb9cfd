#pragma once
// Convolution with unstructured sparse weights: each filter's nonzeros over [C, KH, KW] in
// compressed sparse rows whose column is the tap's offset into the padded input (ShiftedPlanes),
// so a tile of flat outputs accumulates one shifted input run times a weight per nonzero.
// Ungrouped convs of any kernel size, padding and dilation, at strides up to
// ShiftedPlanes::kMaxStride. Tested against
// conv2d_reference on the same dense weights.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/csr_matrix.h"
#include "kernels/sparse/shifted_planes.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

// The CSR weights as the tile loops read them, each filter's nonzeros cut into blocks of input
// channels (ShiftedPlanes::l1_channel_block of a tile, or more where a filter would have few
// nonzeros in a block) so that one block's inputs stay in L1 while every filter adds its
// nonzeros on them; a filter's sums wait in the flat buffer between blocks.
struct CsrConvWeights {
  CsrMatrix csr;  // [M, C * KH * KW], columns rewritten to ShiftedPlanes tap offsets
  int64_t channel_block = 0, channel_blocks = 0;
  // M * channel_blocks + 1 entries: filter m's nonzeros of channel block b start at entry
  // m * channel_blocks + b.
  std::vector<int32_t> block_begin;
};

class CsrConv2d {
 public:
  static bool supports(const Conv2dShape& s) { return ShiftedPlanes::supports(s); }
  // Copies what it needs; bias may be null. The loops are those of `isa`'s tier.
  CsrConv2d(const Conv2dShape& s, const float* weights, const float* bias, const Activation& act,
            Isa isa = active_isa());
  // y = act(conv(x, w) + bias + residual); residual (shaped like y) may be null.
  void run(const float* x, float* y, const float* residual, ThreadPool* pool) const;

 private:
  ShiftedPlanes planes_;
  CsrConvWeights w_;
  std::vector<float> bias_;
  Activation act_;
  const SparseKernels* k_;
};

}  // namespace sinter
