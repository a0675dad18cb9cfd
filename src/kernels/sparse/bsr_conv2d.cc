// BsrConv2d: the weights' block rows with tap offsets as columns, and the split over threads.
// The arithmetic is the tier's (sparse_kernels.h): bsr_conv2d_portable.cc, _avx2.cc, _avx512.cc.
#include "kernels/sparse/bsr_conv2d.h"

#include <algorithm>
#include <limits>

#include "core/error.h"

namespace sinter {

namespace {
constexpr int64_t kFilters = BsrWeights::kFilters;

// Whether any filter of block row r has a nonzero at tap j (of taps per filter).
bool block_kept(const Conv2dShape& s, const float* weights, int64_t r, int64_t j, int64_t taps) {
  for (int64_t m = r * kFilters; m < std::min(s.M, (r + 1) * kFilters); ++m)
    if (weights[m * taps + j] != 0.0f) return true;
  return false;
}
}  // namespace

double BsrConv2d::block_fill(const Conv2dShape& s, const float* weights) {
  const int64_t taps = s.C * s.KH * s.KW;
  int64_t nonzeros = 0, computed = 0;  // of the kept blocks' real filters
  for (int64_t r = 0; r * kFilters < s.M; ++r) {
    const int64_t m0 = r * kFilters, m1 = std::min(s.M, m0 + kFilters);
    for (int64_t j = 0; j < taps; ++j)
      if (block_kept(s, weights, r, j, taps)) {
        computed += m1 - m0;
        for (int64_t m = m0; m < m1; ++m) nonzeros += weights[m * taps + j] != 0.0f;
      }
  }
  return computed == 0 ? 1.0 : static_cast<double>(nonzeros) / static_cast<double>(computed);
}

BsrConv2d::BsrConv2d(const Conv2dShape& s, const float* weights, const float* bias,
                     const Activation& act, Isa isa)
    : planes_(s, isa), act_(act), k_(&sparse_kernels().at(isa)) {
  SINTER_CHECK(supports(s), "BsrConv2d: only ungrouped convolutions at strides up to 4");
  if (bias) bias_.assign(bias, bias + s.M);
  const int64_t taps = s.C * s.KH * s.KW;
  const int64_t kernel_taps = s.KH * s.KW;
  w_.block_rows = (s.M + kFilters - 1) / kFilters;
  w_.channel_block = (s.C + BsrWeights::kChannelBlocks - 1) / BsrWeights::kChannelBlocks;
  w_.channel_blocks = (s.C + w_.channel_block - 1) / w_.channel_block;
  for (int64_t r = 0; r < w_.block_rows; ++r) {
    for (int64_t j = 0; j < taps; ++j) {
      if (j % (w_.channel_block * kernel_taps) == 0)
        w_.block_begin.push_back(static_cast<int32_t>(w_.offset.size()));
      if (!block_kept(s, weights, r, j, taps)) continue;
      w_.offset.push_back(planes_.tap_offset(j / (s.KH * s.KW), j / s.KW % s.KH, j % s.KW));
      for (int64_t m = r * kFilters; m < (r + 1) * kFilters; ++m)
        w_.value.push_back(m < s.M ? weights[m * taps + j] : 0.0f);
    }
    SINTER_CHECK(w_.offset.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                 "BsrConv2d: too many blocks for 32-bit offsets");
  }
  w_.block_begin.push_back(static_cast<int32_t>(w_.offset.size()));
}

void BsrConv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  const float* bias = bias_.empty() ? nullptr : bias_.data();
  const auto tiles = k_->bsr_conv2d_tiles;
  planes_.run(
      x, bias, residual, act_, y, pool,
      [&](const float* padded, float* flat, int64_t t0, int64_t t1, int64_t m0, int64_t m1,
          int64_t b0, int64_t b1) { tiles(planes_, w_, padded, flat, t0, t1, m0, m1, b0, b1); },
      kFilters, w_.channel_block);
}

}  // namespace sinter
