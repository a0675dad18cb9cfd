#pragma once
// Implicit im2col: packs GEMM B slivers (rows = c*KH*KW + kh*KW + kw, columns = output pixels)
// straight from one image's NCHW channels, so no im2col matrix is ever materialized.
#include "kernels/conv/conv2d.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter {

class Im2colPacker final : public gemm::BPacker {
 public:
  // x points at the first input channel of the group within one image.
  Im2colPacker(const Conv2dShape& s, const float* x);
  void pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) const override;

 private:
  const Conv2dShape& s_;
  const float* x_;
  bool avx2_;  // stride_w 1 or 2 on an AVX2 CPU: pack_im2col_nr16_avx2 for 16-wide slivers
};

// The AVX2 packer for nr = 16 and stride_w 1 or 2 (dst must be 32-byte aligned).
void pack_im2col_nr16_avx2(const Conv2dShape& s, const float* x, int64_t k0, int64_t kc, int64_t n0,
                           int64_t nc, float* dst);

}  // namespace sinter
