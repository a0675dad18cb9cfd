// CsrConv2d: the weights' CSR form with tap offsets as columns, in channel blocks, and the split
// over threads.
// The arithmetic is the tier's (sparse_kernels.h): csr_conv2d_portable.cc, csr_conv2d_avx2.cc.
#include "kernels/sparse/csr_conv2d.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace sinter {

namespace {
constexpr double kMinBlockNonzeros = 16.0;
}  // namespace

CsrConv2d::CsrConv2d(const Conv2dShape& s, const float* weights, const float* bias,
                     const Activation& act, Isa isa)
    : planes_(s, isa), act_(act), k_(&sparse_kernels().at(isa)) {
  SINTER_CHECK(supports(s), "CsrConv2d: only ungrouped convolutions at strides up to 4");
  if (bias) bias_.assign(bias, bias + s.M);
  const int64_t kernel_taps = s.KH * s.KW, taps = s.C * kernel_taps;
  CsrMatrix& csr = w_.csr;
  csr = CsrMatrix::from_dense(s.M, taps, weights, taps, 1);
  // Blocks whose inputs fit L1, but of enough channels that a filter has some 16 nonzeros in
  // one on average: each block loads and stores the tile's sums again (ResNet-18's stem at 90 %,
  // one channel a block: 3 blocks of 5 nonzeros, 0.80-1.1 ms against 0.71-0.78 in one).
  const double per_channel =
      static_cast<double>(csr.nonzeros()) / static_cast<double>(std::max<int64_t>(s.M * s.C, 1));
  const auto for_nonzeros =
      static_cast<int64_t>(std::ceil(kMinBlockNonzeros / std::max(per_channel, 1e-9)));
  w_.channel_block =
      std::clamp(std::max(planes_.l1_channel_block(1), for_nonzeros), int64_t{1}, s.C);
  w_.channel_blocks = (s.C + w_.channel_block - 1) / w_.channel_block;
  // Each filter's nonzeros are in (channel, tap) order: a block's are consecutive.
  for (int64_t m = 0; m < s.M; ++m) {
    int32_t k = csr.row_begin[m];
    for (int64_t b = 0; b < w_.channel_blocks; ++b) {
      w_.block_begin.push_back(k);
      const int64_t end_tap = (b + 1) * w_.channel_block * kernel_taps;
      while (k < csr.row_begin[m + 1] && csr.col[k] < end_tap) ++k;
    }
  }
  w_.block_begin.push_back(csr.row_begin[s.M]);
  for (int32_t& col : csr.col)
    col = planes_.tap_offset(col / kernel_taps, col / s.KW % s.KH, col % s.KW);
}

void CsrConv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  const auto tiles = k_->csr_conv2d_tiles;
  planes_.run(
      x, bias, residual, act_, y, pool,
      [&](const float* padded, float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
          int64_t b0, int64_t b1) { tiles(planes_, w_, padded, flat, t0, t1, m0, m1, b0, b1); },
      1, w_.channel_block);
}

}  // namespace sinter
