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
  CsrMatrix w_;  // [M, C * KH * KW], columns rewritten to ShiftedPlanes tap offsets
  std::vector<float> bias_;
  Activation act_;
  const SparseKernels* k_;
};

}  // namespace sinter
