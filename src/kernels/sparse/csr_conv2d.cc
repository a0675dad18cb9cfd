// CsrConv2d: the weights' CSR form with tap offsets as columns, and the split over threads.
// The arithmetic is the tier's (sparse_kernels.h): csr_conv2d_portable.cc, csr_conv2d_avx2.cc.
#include "kernels/sparse/csr_conv2d.h"

#include "core/error.h"

namespace sinter {

CsrConv2d::CsrConv2d(const Conv2dShape& s, const float* weights, const float* bias,
                     const Activation& act, Isa isa)
    : planes_(s, isa), act_(act), k_(&sparse_kernels().at(isa)) {
  SINTER_CHECK(supports(s), "CsrConv2d: only ungrouped convolutions at strides up to 4");
  if (bias) bias_.assign(bias, bias + s.M);
  const int64_t taps = s.C * s.KH * s.KW;
  w_ = CsrMatrix::from_dense(s.M, taps, weights, taps, 1);
  for (int32_t& col : w_.col)
    col = planes_.tap_offset(col / (s.KH * s.KW), col / s.KW % s.KH, col % s.KW);
}

void CsrConv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  const auto tiles = k_->csr_conv2d_tiles;
  planes_.run(x, bias, residual, act_, y, pool,
              [&](const float* padded, float* flat, int64_t t0, int64_t t1, int64_t m0,
                  int64_t m1) { tiles(planes_, w_, padded, flat, t0, t1, m0, m1); });
}

}  // namespace sinter
