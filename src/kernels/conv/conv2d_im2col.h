#pragma once
// Implicit im2col: packs GEMM B slivers (rows = c*KH*KW + kh*KW + kw, columns = output pixels)
// straight from one image's NCHW channels, so no im2col matrix is ever materialized.
#include "kernels/conv/conv2d.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/isa_tables.h"

namespace sinter {

// One tier's packer: any sliver width and stride (each tier has fast code for its own GEMM's
// nr at stride_w 1 or 2 and packs the rest portably). dst is 64-byte aligned.
using Im2colPackFn = void (*)(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc,
                              int64_t n0, int64_t nc, int nr, float* dst);
struct Im2colKernels {
  Im2colPackFn pack;
};
const kernels::IsaTables<Im2colKernels>& im2col_kernels();

// Rows [k0, k1) of one image's im2col matrix transposed (pixels x C*KH*KW, zeros where the
// window reads padding), written straight into the GEMM's packed-A layout for a kernel set with
// row tiles of `mr` and K blocks of `kb` (what pack_a_full writes): kGemmTransposed's left
// operand, packed once and shared by the threads. dst holds round_up(OH*OW, mr) * C*KH*KW floats.
void im2col_transposed_packed(const Conv2dShape& s, const float* x, int mr, int64_t kb, int64_t k0,
                              int64_t k1, float* dst);

class Im2colPacker final : public gemm::BPacker {
 public:
  // x points at the first input channel of the group within one image.
  Im2colPacker(const Conv2dShape& s, const float* x);
  void pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) const override;

 private:
  const Conv2dShape& s_;
  const float* x_;
  Im2colPackFn pack_;
};

namespace detail {
const Im2colKernels& im2col_kernels_portable();
const Im2colKernels& im2col_kernels_avx2();
const Im2colKernels& im2col_kernels_avx512();
void pack_im2col_portable(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0,
                          int64_t nc, int nr, float* dst);
}  // namespace detail

}  // namespace sinter
