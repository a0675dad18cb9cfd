#pragma once
// Plane convolution: the zero-padded input plane, flattened, is the GEMM's B as it stands.
// Output pixel (oh, ow) becomes column oh * Wq + ow of a plane Wq wide (the padded width), so tap
// (kh, kw) reads the plane shifted by kh * Wq + kw: each of B's K = C * KH * KW rows is the plane
// at its own offset, and nothing is packed (an implicit GEMM packs K x N floats per run). A stride
// s first splits the padded plane into its s x s phases (every s-th row and column from each
// start), which makes a strided window a unit-stride one over a phase. The Wq - OW columns past
// each output row's end are computed and dropped by the store (the micro-kernel's column
// segments), so this pays where rows are wide against the window.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/sgemm_kernel.h"

namespace sinter {

class Conv2dPlane {
 public:
  // Any window, stride, dilation and grouping whose padded plane stays near the input's size
  // and whose rows are wide enough that a tile crosses at most kMaxColumnSegments of them.
  static bool supports(const Conv2dShape& s);
  // Whether the heuristics should pick it: it computes every column of the padded rows, so a
  // padding much wider than the output (a large dilation on a small map: DeepLab's ASPP at
  // dilation 12 on 14x14, 38 columns a row for 14 outputs) leaves it behind the implicit GEMM
  // (2.5x there). Up to twice the output's columns it is ahead.
  static bool pays(const Conv2dShape& s);

  Conv2dPlane(const Conv2dShape& s, const float* weights);
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;

 private:
  // Writes phase rows [r0, r1) of every phase plane of one group's channels (x: its first).
  void split_phases(const float* x, float* planes, int64_t r0, int64_t r1) const;
  // Output channels [m0, m1) x flattened columns [n0, n1) of one (image, group) GEMM.
  void gemm_block(const float* planes, const float* bias, const float* residual,
                  const Activation& act, float* y, int64_t g, int64_t m0, int64_t m1, int64_t n0,
                  int64_t n1) const;

  Conv2dShape s_;
  const gemm::KernelSet* ks_;
  int64_t hq_ = 0, wq_ = 0;   // one phase plane: rows and row width
  int64_t columns_ = 0;       // OH * wq_: flattened output columns, stored or not
  int64_t group_floats_ = 0;  // every phase plane of a group's channels, plus the tail tiles read
  int64_t reach_ = 0;         // the furthest tap's offset within a phase plane
  std::vector<PackedMatrixA> weights_;          // per group: [M/group, C/group * KH * KW]
  std::vector<int64_t> b_rows_;                 // per k: offset of B's row in a group's planes
  std::vector<gemm::ColumnSegments> segments_;  // per column tile of nr columns
};

}  // namespace sinter
