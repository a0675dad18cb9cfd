// Conv2d plan: choose the algorithm from the shape, pack weights per group, and split the
// (image, group, output tile) work over the thread pool.
#include "kernels/conv/conv2d.h"

#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/conv/conv2d_direct.h"
#include "kernels/conv/conv2d_dwm.h"
#include "kernels/conv/conv2d_im2col.h"
#include "kernels/conv/conv2d_plane.h"
#include "kernels/conv/conv2d_training_kernels.h"
#include "kernels/conv/conv2d_winograd.h"
#include "kernels/eltwise/unary.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/padded_copy.h"

namespace sinter {
namespace {

// A 1x1 window without padding at any stride: a GEMM over the input's pixels (every stride-th
// one, gathered once per run when the stride is not 1).
bool is_strided_pointwise(const Conv2dShape& s) {
  return s.KH == 1 && s.KW == 1 && s.pad_top == 0 && s.pad_left == 0 && s.pad_bottom == 0 &&
         s.pad_right == 0;
}

// Pixel (oh, ow) of every channel and image: x[.., oh * stride_h, ow * stride_w].
void gather_strided_pixels(const Conv2dShape& s, const float* x, float* out) {
  const int64_t OH = s.OH(), OW = s.OW();
  for (int64_t plane = 0; plane < s.N * s.C; ++plane) {
    const float* xp = x + plane * s.H * s.W;
    for (int64_t oh = 0; oh < OH; ++oh) {
      const float* row = xp + oh * s.stride_h * s.W;
      for (int64_t ow = 0; ow < OW; ++ow) *out++ = row[ow * s.stride_w];
    }
  }
}

bool is_pointwise(const Conv2dShape& s) {
  return s.KH == 1 && s.KW == 1 && s.stride_h == 1 && s.stride_w == 1 && s.pad_top == 0 &&
         s.pad_left == 0 && s.pad_bottom == 0 && s.pad_right == 0;
}

}  // namespace

Conv2d::Conv2d(const Conv2dShape& shape, const float* weights, const float* bias,
               const Activation& act, std::optional<Algorithm> force)
    : shape_(shape), act_(act) {
  shape_.validate();
  const Conv2dShape& s = shape_;
  algorithm_ = choose(s);
  if (force) {
    if (!supports(*force, s))
      throw UnsupportedError(
          cat("conv2d: the ", algorithm_name(*force), " algorithm cannot run this shape"));
    algorithm_ = *force;
  }
  if (bias) bias_.assign(bias, bias + s.M);
  if (algorithm_ == Algorithm::kWinograd) {
    winograd_ = std::make_unique<Conv2dWinograd>(s, weights);
    return;
  }
  if (algorithm_ == Algorithm::kDirect) {
    direct_ = std::make_unique<Conv2dDirect>(s, weights);
    return;
  }
  if (algorithm_ == Algorithm::kPlane) {
    plane_ = std::make_unique<Conv2dPlane>(s, weights);
    return;
  }
  if (algorithm_ == Algorithm::kDwm) {
    dwm_ = std::make_unique<Conv2dDwm>(s, weights);
    return;
  }
  if (algorithm_ == Algorithm::kGemmTransposed) {
    const int64_t K = s.C * s.KH * s.KW;
    weights_t_ = std::make_unique<PackedMatrixB>(true, K, s.M, weights, K);
    return;
  }
  const int64_t Mg = s.M / s.group, K = s.C / s.group * s.KH * s.KW;
  weights_.reserve(static_cast<size_t>(s.group));
  for (int64_t g = 0; g < s.group; ++g)
    weights_.emplace_back(false, Mg, K, weights + g * Mg * K, K);
}

bool Conv2dShape::padded_copy_is_small() const {
  return kernels::padded_copy_is_small({H, pad_top, pad_bottom, KH, dilation_h, stride_h},
                                       {W, pad_left, pad_right, KW, dilation_w, stride_w});
}

Conv2d::Algorithm Conv2d::choose(const Conv2dShape& s) {
  const bool pointwise = is_strided_pointwise(s);
  // Winograd pays off once the 36 transformed weight matrices (4x the raw weights, streamed
  // from memory each run) are reused over enough tiles, and its transforms are shared by enough
  // channels. Below that the plane GEMM, with neither transforms nor packing, is faster
  // (squeezenet's fires: 16-64 input channels, 13x13-55x55 planes). On 16 tiles it takes 128
  // input channels, or 256 output ones to share the input transform: at one thread, 64 -> 256
  // on 13x13 0.91x the plane GEMM's time, 48 -> 192 1.15x, 96 -> 96 on 14x14 1.05x.
  const int64_t tiles = (s.OH() + 3) / 4 * ((s.OW() + 3) / 4);
  const bool winograd = Conv2dWinograd::supports(s) && s.C >= 64 && s.M >= 64 &&
                        (tiles >= 49 || (tiles >= 16 && (s.C >= 128 || s.M >= 256)));
  const bool transposed = s.group == 1 && prefers_transposed(s);
  // Before the transposed GEMM, which strided windows on small planes would take.
  return Conv2dDwm::pays(s)          ? Algorithm::kDwm
         : transposed                ? Algorithm::kGemmTransposed
         : pointwise                 ? Algorithm::kGemm1x1
         : winograd                  ? Algorithm::kWinograd
         : Conv2dDirect::supports(s) ? Algorithm::kDirect
         : Conv2dPlane::pays(s)      ? Algorithm::kPlane
                                     : Algorithm::kImplicitGemm;
}

bool Conv2d::prefers_transposed(const Conv2dShape& s) {
  const gemm::KernelSet& ks = gemm::active_kernel_set();
  const int64_t pixels = s.OH() * s.OW();
  const int64_t waste_cols = (pixels + ks.nr - 1) / ks.nr * ks.nr - pixels,
                waste_rows = (pixels + ks.mr - 1) / ks.mr * ks.mr - pixels;
  // The packed im2col^T is scratch beside the tensors: keep it within 16 MB.
  const int64_t K = s.C * s.KH * s.KW;
  const int64_t packed_floats = (pixels + ks.mr - 1) / ks.mr * ks.mr * K;
  // A strided window onto a few hundred pixels: packing the im2col once costs less than the
  // plane GEMM's phase planes and row segments when K is long. Stride-2 3x3 onto 14x14, one
  // thread: 256 -> 256 0.92x the plane's time, 128 -> 256 0.94x, but 64 -> 128 1.05x.
  const bool strided_window =
      (s.stride_h > 1 || s.stride_w > 1) && s.KH * s.KW > 1 && pixels <= 196 && K >= 1024;
  return (pixels <= 64 || strided_window) && waste_rows < waste_cols && s.M % ks.nr == 0 &&
         packed_floats <= (int64_t{4} << 20);
}

Conv2d::~Conv2d() = default;
Conv2d::Conv2d(Conv2d&&) noexcept = default;

bool Conv2d::supports(Algorithm a, const Conv2dShape& s) {
  switch (a) {
    case Algorithm::kImplicitGemm:
      return true;
    case Algorithm::kGemm1x1:
      return is_strided_pointwise(s);
    case Algorithm::kGemmTransposed:
      return s.group == 1;
    case Algorithm::kWinograd:
      return Conv2dWinograd::supports(s);
    case Algorithm::kDirect:
      return Conv2dDirect::supports(s);
    case Algorithm::kPlane:
      return Conv2dPlane::supports(s);
    case Algorithm::kDwm:
      return Conv2dDwm::supports(s);
  }
  return false;
}

const char* Conv2d::algorithm_name(Algorithm a) {
  switch (a) {
    case Algorithm::kGemm1x1:
      return "gemm1x1";
    case Algorithm::kImplicitGemm:
      return "implicit_gemm";
    case Algorithm::kPlane:
      return "plane";
    case Algorithm::kWinograd:
      return "winograd";
    case Algorithm::kDirect:
      return "direct";
    case Algorithm::kGemmTransposed:
      return "gemm_t";
    case Algorithm::kDwm:
      return "dwm";
  }
  return "";
}

const std::vector<std::string>& Conv2d::algorithm_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n;
    for (Algorithm a :
         {Algorithm::kGemm1x1, Algorithm::kImplicitGemm, Algorithm::kWinograd, Algorithm::kDirect,
          Algorithm::kGemmTransposed, Algorithm::kPlane, Algorithm::kDwm})
      n.push_back(algorithm_name(a));
    return n;
  }();
  return names;
}

std::optional<Conv2d::Algorithm> Conv2d::algorithm_named(const std::string& name) {
  for (Algorithm a :
       {Algorithm::kGemm1x1, Algorithm::kImplicitGemm, Algorithm::kWinograd, Algorithm::kDirect,
        Algorithm::kGemmTransposed, Algorithm::kPlane, Algorithm::kDwm})
    if (name == algorithm_name(a)) return a;
  return std::nullopt;
}

void Conv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  if (winograd_) {
    winograd_->run(x, y, bias_.empty() ? nullptr : bias_.data(), residual, act_, pool);
    return;
  }
  if (direct_) {
    direct_->run(x, y, bias_.empty() ? nullptr : bias_.data(), residual, act_, pool);
    return;
  }
  if (plane_) {
    plane_->run(x, y, bias_.empty() ? nullptr : bias_.data(), residual, act_, pool);
    return;
  }
  if (dwm_) {
    dwm_->run(x, y, bias_.empty() ? nullptr : bias_.data(), residual, act_, pool);
    return;
  }
  if (weights_t_) {
    run_transposed(x, y, residual, pool);
    return;
  }
  const Conv2dShape& s = shape_;
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G;
  const int64_t OHW = s.OH() * s.OW(), K = Cg * s.KH * s.KW;
  const gemm::KernelSet& ks = weights_[0].kernels();
  const int threads = pool ? pool->num_threads() : 1;
  // A strided 1x1 conv reads every stride-th pixel: gather them once, then GEMM in place.
  const bool gathered = algorithm_ == Algorithm::kGemm1x1 && !is_pointwise(s);
  thread_local std::vector<float> pixels;
  if (gathered) {
    pixels.resize(static_cast<size_t>(s.N * s.C * OHW));
    gather_strided_pixels(s, x, pixels.data());
  }
  const float* in = gathered ? pixels.data() : x;  // thread_local: resolve here
  const int64_t in_plane = gathered ? OHW : s.H * s.W;

  // Every (image, group) pair is an independent GEMM; cut each into enough tiles that all
  // threads have work, splitting output pixels first (weights are already packed).
  const int64_t problems = s.N * G;
  const int64_t per_problem =
      std::min((threads + problems - 1) / problems, gemm::useful_tasks(Mg, OHW, K, threads));
  const gemm::TileGrid grid = gemm::split_tiles(ks, Mg, OHW, K, per_problem, false, true);

  auto task = [&](int64_t i, int) {
    const int64_t prob = i / grid.count(), tile = i % grid.count();
    const int64_t n = prob / G, g = prob % G;
    const float* xg = in + (n * s.C + g * Cg) * in_plane;
    const int64_t out = (n * s.M + g * Mg) * OHW;
    GemmEpilogue epi;
    epi.bias_per_row = bias_.empty() ? nullptr : bias_.data() + g * Mg;
    epi.residual = residual ? residual + out : nullptr;
    epi.ld_residual = OHW;
    epi.activation = act_;
    Im2colPacker packer(s, xg);
    gemm::GemmProblem p;
    p.M = Mg;
    p.N = OHW;
    p.K = K;
    p.a.packed = weights_[static_cast<size_t>(g)].data();
    if (algorithm_ == Algorithm::kGemm1x1) {
      p.b = {nullptr, nullptr, xg, in_plane, false};
    } else {
      p.b.packer = &packer;
    }
    p.c = y + out;
    p.ldc = OHW;
    p.epi = &epi;
    const int64_t m0 = (tile / grid.n_tiles) * grid.m_step;
    const int64_t n0 = (tile % grid.n_tiles) * grid.n_step;
    gemm::gemm_tile(ks, p, m0, std::min(Mg, m0 + grid.m_step), n0, std::min(OHW, n0 + grid.n_step));
  };
  const int64_t total = problems * grid.count();
  if (pool && total > 1) {
    pool->parallel_for(total, task);
  } else {
    for (int64_t i = 0; i < total; ++i) task(i, 0);
  }
}

void Conv2d::run_transposed(const float* x, float* y, const float* residual,
                            ThreadPool* pool) const {
  const Conv2dShape& s = shape_;
  const int64_t P = s.OH() * s.OW(), M = s.M, K = s.C * s.KH * s.KW;
  const gemm::KernelSet& ks = weights_t_->kernels();
  const int64_t kb = gemm::k_block(ks, K), mpad = (P + ks.mr - 1) / ks.mr * ks.mr;
  thread_local std::vector<float> scratch, columns;
  scratch.resize(static_cast<size_t>(P * M));
  columns.resize(static_cast<size_t>(mpad * K));
  // thread_local: resolve here, not on the workers
  float* t = scratch.data();
  float* cols = columns.data();
  const int threads = pool ? pool->num_threads() : 1;
  const auto transpose = conv_training_kernels().active().transpose_to_channels_last;
  for (int64_t n = 0; n < s.N; ++n) {
    // t[P x M] = cols^T w^T, with cols^T packed once for all threads and w^T prepacked.
    const float* xn = x + n * s.C * s.H * s.W;
    auto pack = [&](int64_t k0, int64_t k1, int) {
      im2col_transposed_packed(s, xn, ks.mr, kb, k0, k1, cols);
    };
    if (threads > 1) {
      pool->parallel_range(K, 64, pack);
    } else {
      pack(0, K, 0);
    }
    const GemmEpilogue none;
    gemm::GemmProblem p;
    p.M = P;
    p.N = M;
    p.K = K;
    p.a.packed = cols;
    p.b.packed = weights_t_->data();
    p.c = t;
    p.ldc = M;
    p.epi = &none;
    gemm::gemm_parallel(ks, p, pool);
    float* yn = y + n * M * P;
    const float* rn = residual ? residual + n * M * P : nullptr;
    // y = t^T in 8x8 register blocks (a strided gather per element would cost about as much
    // as the GEMM on a 7x7 plane), then bias, residual and activation along y's rows.
    const int64_t P8 = P / 8 * 8;
    auto rows = [&](int64_t m0, int64_t m1, int) {
      transpose(t + m0, M, P8, m1 - m0, yn + m0 * P, P);
      for (int64_t m = m0; m < m1; ++m) {
        float* row = yn + m * P;
        for (int64_t p = P8; p < P; ++p) row[p] = t[p * M + m];
        if (!bias_.empty())
          for (int64_t p = 0; p < P; ++p) row[p] += bias_[static_cast<size_t>(m)];
        if (rn)
          for (int64_t p = 0; p < P; ++p) row[p] += rn[m * P + p];
        kernels::apply_activation(act_, row, P);
      }
    };
    if (threads > 1) {
      pool->parallel_range(M, 16, rows);
    } else {
      rows(0, M, 0);
    }
  }
}

}  // namespace sinter
