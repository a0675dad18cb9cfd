#pragma once
// Direct convolution for layers with few input channels (the RGB stem of every image network).
// With C*KH*KW of 27-150 an implicit GEMM spends as much on packing B as on multiplying; here
// the image is copied once into a zero-padded, stride-phase-split layout, after which every tap
// of consecutive outputs is one contiguous vector load, and a register block of output channels
// x output columns (per tier: conv2d_direct_avx2.cc, conv2d_direct_avx512.cc) does several FMAs
// per load.
#include <cstdint>
#include <vector>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/isa_tables.h"

namespace sinter {

// The padded, phase-split input: phase ph of padded row iy of channel c holds padded columns
// ph, ph + stride_w, ph + 2*stride_w, ... so a stride-2 tap reads consecutive floats.
struct DirectConvLayout {
  int64_t hp = 0;      // padded rows
  int64_t wq = 0;      // floats per phase row (output columns rounded up to 16, plus taps)
  int64_t phases = 1;  // stride_w
  int64_t blocks = 0;  // output-channel blocks of 4
  std::vector<int64_t> tap_offset;  // per (c, ky, kx): float offset from output row 0's base
  int64_t row_step = 0;             // floats between the bases of consecutive output rows
};

// Computes output rows [oy0, oy1) of every output channel: row oy of channel m goes to
// y + m * plane + (oy - oy0) * OW (the residual is read alike). Null where a tier has no code of
// its own (portable): the layer then runs as an implicit GEMM.
struct DirectConvKernels {
  void (*rows)(const Conv2dShape& s, const DirectConvLayout& l, const float* padded,
               const float* packed_w, const float* bias, const float* residual,
               const Activation& act, float* y, int64_t plane, int64_t oy0, int64_t oy1);
};
const kernels::IsaTables<DirectConvKernels>& direct_conv_kernels();

namespace detail {
const DirectConvKernels& direct_conv_kernels_avx2();
const DirectConvKernels& direct_conv_kernels_avx512();
}  // namespace detail

class Conv2dDirect {
 public:
  // Ungrouped, undilated, stride_w 1 or 2, at most 4 input channels, on a tier with rows code.
  static bool supports(const Conv2dShape& s);
  Conv2dDirect(const Conv2dShape& s, const float* weights);
  void run(const float* x, float* y, const float* bias, const float* residual,
           const Activation& act, ThreadPool* pool) const;
  // Output rows [oy0, oy1) of one image (x: its first float), on the calling thread, laid out as
  // DirectConvKernels::rows says.
  void run_rows(const float* x, float* y, int64_t plane, int64_t oy0, int64_t oy1,
                const float* bias, const float* residual, const Activation& act) const;
  const Conv2dShape& shape() const { return s_; }

 private:
  // Writes padded rows [r0, r1) of every channel of one image (x) into `padded`.
  void copy_rows(const float* x, float* padded, int64_t r0, int64_t r1) const;

  Conv2dShape s_;
  DirectConvLayout layout_;
  std::vector<float> packed_w_;  // [blocks][C][KH][KW][4], zero past M
  // The rows kernel of the tier supports() saw, kept so a later cap cannot leave it null.
  decltype(DirectConvKernels::rows) rows_;
};

}  // namespace sinter
