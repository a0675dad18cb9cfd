#include "kernels/conv/conv2d_plane.h"

#include <algorithm>
#include <cstring>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/thread_scratch.h"

namespace sinter {
namespace {

int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

// Width of one phase row: the padded row's every stride-th column.
int64_t phase_width(const Conv2dShape& s) {
  return ceil_div(s.W + s.pad_left + s.pad_right, s.stride_w);
}

}  // namespace

bool Conv2dPlane::supports(const Conv2dShape& s) {
  const int nr = gemm::active_kernel_set().nr;
  return s.padded_copy_is_small() && (nr - 1) / phase_width(s) + 2 <= gemm::kMaxColumnSegments;
}

bool Conv2dPlane::pays(const Conv2dShape& s) { return supports(s) && phase_width(s) <= 2 * s.OW(); }

Conv2dPlane::Conv2dPlane(const Conv2dShape& s, const float* weights)
    : s_(s), ks_(&gemm::active_kernel_set()) {  // the set PackedMatrixA packs for
  if (!supports(s)) throw UnsupportedError("conv2d: the plane algorithm cannot run this shape");
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G, K = Cg * s.KH * s.KW;
  const int64_t phases = s.stride_h * s.stride_w;
  hq_ = ceil_div(s.H + s.pad_top + s.pad_bottom, s.stride_h);
  wq_ = phase_width(s);
  const int64_t plane = hq_ * wq_, OH = s.OH(), OW = s.OW(), NR = ks_->nr;
  columns_ = OH * wq_;

  weights_.reserve(static_cast<size_t>(G));
  for (int64_t g = 0; g < G; ++g) weights_.emplace_back(false, Mg, K, weights + g * Mg * K, K);

  // Tap (kh, kw) of channel c reads phase (dh % stride_h, dw % stride_w) from row dh / stride_h
  // and column dw / stride_w on, where dh, dw are the tap's dilated offsets.
  b_rows_.reserve(static_cast<size_t>(K));
  int64_t last_row = 0;
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const int64_t dh = kh * s.dilation_h, dw = kw * s.dilation_w;
        const int64_t phase = (dh % s.stride_h) * s.stride_w + dw % s.stride_w;
        const int64_t row = (c * phases + phase) * plane + dh / s.stride_h * wq_ + dw / s.stride_w;
        b_rows_.push_back(row);
        last_row = std::max(last_row, row);
      }
  // The last column tile of the furthest row reads up to a whole tile past the columns.
  group_floats_ = std::max(Cg * phases * plane, last_row + ceil_div(columns_, NR) * NR);
  reach_ = (s.KH - 1) * s.dilation_h / s.stride_h * wq_ + (s.KW - 1) * s.dilation_w / s.stride_w;

  // Each tile of NR flattened columns is stored as one segment per output row it crosses.
  for (int64_t p0 = 0; p0 < columns_; p0 += NR) {
    const int64_t p1 = std::min(columns_, p0 + NR);
    gemm::ColumnSegments segs{};
    for (int64_t oh = p0 / wq_; oh * wq_ < p1; ++oh) {
      const int64_t begin = std::max(p0, oh * wq_), end = std::min(p1, oh * wq_ + OW);
      if (begin >= end) continue;
      segs.seg[segs.count++] = {static_cast<int>(begin - p0), static_cast<int>(end - p0),
                                p0 - oh * (wq_ - OW)};
    }
    segments_.push_back(segs);
  }
}

void Conv2dPlane::split_phases(const float* x, float* planes, int64_t r0, int64_t r1) const {
  const Conv2dShape& s = s_;
  const int64_t plane = hq_ * wq_, Cg = s.C / s.group;
  for (int64_t c = 0; c < Cg; ++c) {
    const float* xc = x + c * s.H * s.W;
    for (int64_t a = 0; a < s.stride_h; ++a)
      for (int64_t b = 0; b < s.stride_w; ++b) {
        float* out = planes + (c * s.stride_h * s.stride_w + a * s.stride_w + b) * plane + r0 * wq_;
        // Phase column j holds padded column j * stride_w + b: input columns [j0, j1) exist.
        const int64_t j0 =
            std::min(wq_, ceil_div(std::max<int64_t>(0, s.pad_left - b), s.stride_w));
        const int64_t j1 = std::max(j0, std::min(wq_, ceil_div(s.W + s.pad_left - b, s.stride_w)));
        for (int64_t i = r0; i < r1; ++i, out += wq_) {
          const int64_t r = i * s.stride_h + a - s.pad_top;
          if (r < 0 || r >= s.H) {
            std::memset(out, 0, static_cast<size_t>(wq_) * sizeof(float));
            continue;
          }
          std::memset(out, 0, static_cast<size_t>(j0) * sizeof(float));
          const float* row = xc + r * s.W + b - s.pad_left;  // + j * stride_w: column j
          if (s.stride_w == 1) {
            std::memcpy(out + j0, row + j0, static_cast<size_t>(j1 - j0) * sizeof(float));
          } else {
            for (int64_t j = j0; j < j1; ++j) out[j] = row[j * s.stride_w];
          }
          std::memset(out + j1, 0, static_cast<size_t>(wq_ - j1) * sizeof(float));
        }
      }
  }
}

void Conv2dPlane::gemm_block(const float* planes, const float* bias, const float* residual,
                             const Activation& act, float* y, int64_t g, int64_t m0, int64_t m1,
                             int64_t n0, int64_t n1) const {
  const gemm::KernelSet& ks = *ks_;
  const int MR = ks.mr, NR = ks.nr;
  const int64_t Mg = s_.M / s_.group, K = static_cast<int64_t>(b_rows_.size());
  const int64_t OHW = s_.OH() * s_.OW();
  const int64_t kc_max = gemm::k_block(ks, K), mpad = ceil_div(Mg, MR) * MR;
  const float* packed = weights_[static_cast<size_t>(g)].data();

  gemm::TileArgs t{};
  t.ldc = OHW;
  t.alpha = 1.0f;
  t.ld_residual = OHW;
  t.act = &act;
  for (int64_t jc = n0; jc < n1; jc += ks.nc) {
    const int64_t nc = std::min(ks.nc, n1 - jc);
    for (int64_t pc = 0; pc < K; pc += kc_max) {
      t.kc = std::min(kc_max, K - pc);
      t.c_scale = pc == 0 ? 0.0f : 1.0f;
      t.last = pc + t.kc >= K;
      t.b_rows = b_rows_.data() + pc;
      for (int64_t ic = m0; ic < m1; ic += ks.mc) {
        const int64_t mc = std::min(ks.mc, m1 - ic);
        const float* ap = packed + pc * mpad + (ic / MR) * t.kc * MR;
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t col = jc + jr;
          t.nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          t.b = planes + col;
          t.segments = &segments_[static_cast<size_t>(col / NR)];
          for (int64_t ir = 0; ir < mc; ir += MR) {
            const int64_t row = ic + ir;
            t.a = ap + (ir / MR) * t.kc * MR;
            // The weights are cold on the first column's tiles: fetch the next sliver meanwhile.
            const bool fetch = jr == 0 && ir + MR < mc;
            t.prefetch = t.a + t.kc * MR;
            t.prefetch_lines = fetch ? t.kc * MR / 16 : 0;
            t.mr = static_cast<int>(std::min<int64_t>(MR, mc - ir));
            t.c = y + row * OHW;
            t.bias_row = bias ? bias + row : nullptr;
            t.residual = residual ? residual + row * OHW : nullptr;
            ks.micro(t);
          }
        }
      }
    }
  }
}

void Conv2dPlane::run(const float* x, float* y, const float* bias, const float* residual,
                      const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G, K = static_cast<int64_t>(b_rows_.size());
  const int64_t OHW = s.OH() * s.OW(), NR = ks_->nr;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t per_group =
      std::min<int64_t>((threads + G - 1) / G, gemm::useful_tasks(Mg, columns_, K, threads));
  // Splitting the columns splits the rows each task copies; splitting the channels repeats them.
  const gemm::TileGrid grid = gemm::split_tiles(*ks_, Mg, columns_, K, per_group, false, true);
  // Each task splits the phase rows its columns read into its own thread's planes: one pass
  // over the pool, and the GEMM reads what its own core just wrote. Tasks that share columns
  // (a split of the output channels) each split them.
  auto task = [&](const float* xn, float* yn, const float* rn, int64_t i) {
    const int64_t g = i / grid.count(), tile = i % grid.count();
    const int64_t m0 = (tile / grid.n_tiles) * grid.m_step;
    const int64_t n0 = (tile % grid.n_tiles) * grid.n_step;
    const int64_t n1 = std::min(columns_, n0 + grid.n_step);
    const int64_t last = (ceil_div(n1, NR) * NR - 1 + reach_) / wq_;
    float* planes = kernels::thread_scratch<Conv2dPlane>(group_floats_);
    split_phases(xn + g * Cg * s.H * s.W, planes, n0 / wq_, std::min(hq_, last + 1));
    const int64_t out = g * Mg * OHW;
    gemm_block(planes, bias ? bias + g * Mg : nullptr, rn ? rn + out : nullptr, act, yn + out, g,
               m0, std::min(Mg, m0 + grid.m_step), n0, n1);
  };
  const int64_t total = G * grid.count();
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * s.C * s.H * s.W;
    float* yn = y + n * s.M * OHW;
    const float* rn = residual ? residual + n * s.M * OHW : nullptr;
    if (pool && total > 1) {
      pool->parallel_for(total, [&](int64_t i, int) { task(xn, yn, rn, i); });
    } else {
      for (int64_t i = 0; i < total; ++i) task(xn, yn, rn, i);
    }
  }
}

}  // namespace sinter
