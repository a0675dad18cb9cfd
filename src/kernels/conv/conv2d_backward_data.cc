// The input gradient, as a forward convolution (stride 1: the planned Conv2d or the tap-rows
// kernel) or as GEMM + col2im (any shape).
#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/conv/conv2d_backward.h"
#include "kernels/conv/conv2d_tap_rows_conv.h"

namespace sinter {
namespace {

// W_g^T [Cg KH KW, Mg] per group, packed as the GEMM's left operand.
std::vector<PackedMatrixA> packed_transposed_weights(const Conv2dShape& s, const float* w) {
  const int64_t G = s.group, Mg = s.M / G, K = s.C / G * s.KH * s.KW;
  std::vector<PackedMatrixA> wt;
  wt.reserve(static_cast<size_t>(G));
  for (int64_t g = 0; g < G; ++g) wt.emplace_back(true, K, Mg, w + g * Mg * K, K);
  return wt;
}

// dx (one image's channel block) += cols [Cg*KH*KW, OH*OW] scattered back to input pixels.
void col2im(const Conv2dShape& s, const float* cols, float* dx) {
  const int64_t Cg = s.C / s.group, OH = s.OH(), OW = s.OW(), P = OH * OW;
  const int64_t sh = s.stride_h, sw = s.stride_w;
  for (int64_t c = 0; c < Cg; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const float* src = cols + ((c * s.KH + kh) * s.KW + kw) * P;
        // Output column ow reads input column ow*sw + iw0; [lo, hi) lands inside the row.
        const int64_t iw0 = kw * s.dilation_w - s.pad_left;
        const int64_t lo = iw0 < 0 ? (-iw0 + sw - 1) / sw : 0;
        const int64_t hi = s.W - 1 - iw0 < 0 ? 0 : std::min(OW, (s.W - 1 - iw0) / sw + 1);
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t ih = oh * sh - s.pad_top + kh * s.dilation_h;
          if (ih < 0 || ih >= s.H) continue;
          float* d = dx + (c * s.H + ih) * s.W;
          const float* r = src + oh * OW;
          if (sw == 1) {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow + iw0] += r[ow];
          } else {
            for (int64_t ow = lo; ow < hi; ++ow) d[ow * sw + iw0] += r[ow];
          }
        }
      }
}

// The forward convolution dY -> dX of kTransposedConv.
Conv2dShape transposed_shape(const Conv2dShape& s) {
  // dx[ih] = sum_kh dy[ih + pad - dilation*kh] w[kh]: with kh' = KH-1-kh, a forward conv of dy
  // with the flipped kernel and padding dilation*(KH-1) - pad, whose output has X's size.
  Conv2dShape t = s;
  t.C = s.M;
  t.M = s.C;
  t.H = s.OH();
  t.W = s.OW();
  const int64_t reach_h = s.dilation_h * (s.KH - 1), reach_w = s.dilation_w * (s.KW - 1);
  t.pad_top = reach_h - s.pad_top;
  t.pad_bottom = reach_h - s.pad_bottom;
  t.pad_left = reach_w - s.pad_left;
  t.pad_right = reach_w - s.pad_right;
  return t;
}

// W [M, Cg, KH, KW] -> the transposed conv's weights [C, Mg, KH, KW], kernels flipped, group by
// group.
std::vector<float> flipped_weights(const Conv2dShape& s, const float* w) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, KK = s.KH * s.KW;
  std::vector<float> flipped(static_cast<size_t>(s.M * Cg * KK));
  for (int64_t g = 0; g < s.group; ++g)
    for (int64_t m = 0; m < Mg; ++m)
      for (int64_t c = 0; c < Cg; ++c) {
        const float* src = w + ((g * Mg + m) * Cg + c) * KK;
        float* dst = flipped.data() + ((g * Cg + c) * Mg + m) * KK;
        for (int64_t k = 0; k < KK; ++k) dst[KK - 1 - k] = src[k];
      }
  return flipped;
}

}  // namespace

bool Conv2dBackwardData::supports_transposed_conv(const Conv2dShape& s) {
  const int64_t reach_h = s.dilation_h * (s.KH - 1), reach_w = s.dilation_w * (s.KW - 1);
  return s.stride_h == 1 && s.stride_w == 1 && s.pad_top <= reach_h && s.pad_bottom <= reach_h &&
         s.pad_left <= reach_w && s.pad_right <= reach_w;
}

bool Conv2dBackwardData::supports_tap_rows_conv(const Conv2dShape& s, Isa isa) {
  return supports_transposed_conv(s) && conv_training_kernels().at(isa).has_tap_rows();
}

Conv2dBackwardData::Conv2dBackwardData(const Conv2dShape& s, std::optional<Algorithm> force,
                                       Isa isa)
    : s_(s), k_(&conv_training_kernels().at(isa)) {
  s_.validate();
  const bool transposed = supports_transposed_conv(s), tap_rows = supports_tap_rows_conv(s, isa);
  if (force && ((*force == Algorithm::kTransposedConv && !transposed) ||
                (*force == Algorithm::kTapRowsConv && !tap_rows)))
    throw UnsupportedError("conv2d backward data: the forced algorithm cannot run this shape");
  if (transposed) transposed_ = transposed_shape(s);
  // The planned forward conv wins where it runs a plain 1x1 GEMM, or Winograd over no more dY
  // channels than it produces: the input transform, Winograd's costliest part here, runs over
  // the M channels of dY (vgg-small's 32 -> 64 conv3 takes 63 GFLOP/s that way and 72 by
  // col2im). GEMM + col2im multiplies over only M/group per output, too short a depth below 32
  // channels, where the tap-rows kernel wins (resnet20's 16-channel layers: 62 vs 39) unless
  // the transposed conv's padding makes it do much more work than the gradient needs (lenet5's
  // valid 5x5 conv2: twice the multiply-adds, 21 vs 30).
  algorithm_ = Algorithm::kGemmCol2im;
  if (transposed) {
    const Conv2d::Algorithm a = Conv2d::choose(transposed_);
    const bool little_padding = s.H * s.W * 4 <= s.OH() * s.OW() * 5;
    const bool pointwise_t = a == Conv2d::Algorithm::kGemmTransposed && s.KH == 1 && s.KW == 1;
    if ((a == Conv2d::Algorithm::kWinograd && s.M <= s.C) || a == Conv2d::Algorithm::kGemm1x1 ||
        pointwise_t) {
      algorithm_ = Algorithm::kTransposedConv;
    } else if (tap_rows && s.M / s.group < 32 && little_padding) {
      algorithm_ = Algorithm::kTapRowsConv;
    }
  }
  if (force) algorithm_ = *force;
  if (algorithm_ == Algorithm::kTapRowsConv) tap_rows_ = plan_tap_rows(transposed_);
}

void Conv2dBackwardData::run(const float* dy, const float* w, float* dx, ThreadPool* pool) const {
  switch (algorithm_) {
    case Algorithm::kTransposedConv:
      Conv2d(transposed_, flipped_weights(s_, w).data(), nullptr, Activation{})
          .run(dy, dx, nullptr, pool);
      return;
    case Algorithm::kTapRowsConv:
      return run_tap_rows(dy, w, dx, pool);
    case Algorithm::kGemmCol2im:
      return run_gemm_col2im(dy, w, dx, pool);
  }
}

void Conv2dBackwardData::run_tap_rows(const float* dy, const float* w, float* dx,
                                      ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G;
  const int64_t taps = Mg * s.KH * s.KW, P = s.OH() * s.OW(), plane = s.H * s.W;
  const std::vector<float> flipped = flipped_weights(s, w);
  std::vector<std::vector<float>> packed;
  for (int64_t g = 0; g < G; ++g)
    packed.push_back(pack_tap_rows_conv_weights(Cg, taps, flipped.data() + g * Cg * taps));
  // One (image, group) per task: copy its dY block as tap rows, then convolve into dX.
  auto task = [&](int64_t i, int) {
    const int64_t n = i / G, g = i % G;
    thread_local std::vector<float> copy;
    copy.resize(static_cast<size_t>(tap_rows_.floats + 16));  // whole-vector reads past the end
    k_->copy_to_tap_rows(transposed_, tap_rows_, dy + (n * s.M + g * Mg) * P, copy.data());
    k_->tap_rows_conv(packed[static_cast<size_t>(g)].data(), Cg, tap_rows_, copy.data(), plane,
                      dx + (n * s.C + g * Cg) * plane, plane);
  };
  const int64_t tasks = s.N * G;
  if (pool && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
}

const char* Conv2dBackwardData::algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kTransposedConv:
      return "transposed_conv";
    case Algorithm::kTapRowsConv:
      return "tap_rows_conv";
    case Algorithm::kGemmCol2im:
      return "gemm_col2im";
  }
  return nullptr;
}

void Conv2dBackwardData::keep_weights(const float* w) {
  if (algorithm_ == Algorithm::kGemmCol2im) kept_ = packed_transposed_weights(s_, w);
}

void Conv2dBackwardData::run_gemm_col2im(const float* dy, const float* w, float* dx,
                                         ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G, P = s.OH() * s.OW();
  const int64_t K = Cg * s.KH * s.KW, plane = s.H * s.W;
  // cols [K, P] = W_g^T [K, Mg] x dY_g [Mg, P]; W_g^T is packed once per run, unless kept.
  std::vector<PackedMatrixA> packed;
  if (kept_.empty()) packed = packed_transposed_weights(s, w);
  const std::vector<PackedMatrixA>& wt = kept_.empty() ? packed : kept_;
  const GemmEpilogue none;
  auto image = [&](int64_t n, ThreadPool* inner) {
    thread_local std::vector<float> cols;
    cols.resize(static_cast<size_t>(K * P));
    float* dxn = dx + n * s.C * plane;
    std::fill(dxn, dxn + s.C * plane, 0.0f);
    for (int64_t g = 0; g < G; ++g) {
      sgemm_packed(wt[static_cast<size_t>(g)], P, dy + (n * s.M + g * Mg) * P, P, false,
                   cols.data(), P, none, inner);
      col2im(s, cols.data(), dxn + g * Cg * plane);
    }
  };
  // Whole images per thread when there are enough; otherwise the GEMMs are split.
  const int threads = pool ? pool->num_threads() : 1;
  if (threads > 1 && s.N >= threads) {
    pool->parallel_for(s.N, [&](int64_t n, int) { image(n, nullptr); });
  } else {
    for (int64_t n = 0; n < s.N; ++n) image(n, pool);
  }
}

}  // namespace sinter
