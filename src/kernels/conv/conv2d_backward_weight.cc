// The weight gradient: the choice between its two algorithms, the split of images over threads
// and the fixed-order sum of the threads' partial results.
#include <algorithm>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/conv/conv2d_backward.h"
#include "kernels/conv/conv2d_weight_grad_dot.h"
#include "kernels/conv/conv2d_weight_grad_packer.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter {
namespace {

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

}  // namespace

bool Conv2dBackwardWeight::supports_tap_rows_dot(const Conv2dShape&, Isa isa) {
  return conv_training_kernels().at(isa).has_tap_rows();
}

Conv2dBackwardWeight::Conv2dBackwardWeight(const Conv2dShape& s, std::optional<Algorithm> force,
                                           Isa isa)
    : s_(s), isa_(isa), k_(&conv_training_kernels().at(isa)) {
  s_.validate();
  const bool dot = supports_tap_rows_dot(s, isa);
  if (force && *force == Algorithm::kTapRowsDot && !dot)
    throw UnsupportedError("conv2d backward weight: the forced algorithm cannot run this shape");
  taps_ = s.C / s.group * s.KH * s.KW;
  // The GEMM packs dY and im2col per image, costs that few output channels or few taps do not
  // repay (lenet5 conv1: 14 GFLOP/s, dot 50); the dot kernel pays a reduction and a masked tail
  // per tile and image, which short planes do not repay (resnet20's 7x7 layers: 48, GEMM 75).
  const bool prefer_dot = s.M / s.group < 32 || taps_ < 64 || s.OH() * s.OW() >= 512;
  algorithm_ = force               ? *force
               : dot && prefer_dot ? Algorithm::kTapRowsDot
                                   : Algorithm::kChannelsLastGemm;
  if (algorithm_ == Algorithm::kTapRowsDot) {
    tap_rows_ = plan_tap_rows(s_);
  } else {
    gemm_tap_offset_ = channels_last_tap_offsets(s_);
  }
}

void Conv2dBackwardWeight::run(const float* x, const float* dy, float* dw, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t G = s.group, Cg = s.C / G, Mg = s.M / G, P = s.OH() * s.OW();
  const bool dot = algorithm_ == Algorithm::kTapRowsDot;
  const gemm::KernelSet& ks = gemm::kernel_sets().at(isa_);
  const DotTile tile = dot_tile_for(s);
  const int64_t per_pass = dot ? dot_images_per_pass(s, tap_rows_) : 1;
  const int threads = pool ? pool->num_threads() : 1;
  // Each chunk is a fixed range of images summed into its own partial dW; with fewer images
  // than threads, the taps (dW columns) are split as well, in whole tiles or slivers.
  const int64_t chunks = std::min<int64_t>(s.N, threads);
  const int64_t unit = dot ? tile.taps : ks.nr;
  const int64_t units = ceil_div(taps_, unit);
  const int64_t col_parts = std::min(ceil_div(threads, chunks), units);
  const int64_t col_step = ceil_div(units, col_parts) * unit;
  const int64_t per_chunk = G * Mg * taps_;
  std::vector<float> partial(static_cast<size_t>(chunks * per_chunk), 0.0f);
  const int64_t scratch = dot ? tap_rows_.floats : channels_last_plane(s).floats();
  const GemmEpilogue none;

  auto task = [&](int64_t t, int) {
    const int64_t chunk = t / col_parts, j0 = t % col_parts * col_step;
    const int64_t j1 = std::min(taps_, j0 + col_step);
    if (j0 >= j1) return;
    const int64_t n0 = s.N * chunk / chunks, n1 = s.N * (chunk + 1) / chunks;
    // The channels-last copy only ever writes the interior: its border stays zero.
    std::vector<float> copy(static_cast<size_t>(scratch * per_pass), 0.0f);
    for (int64_t g = 0; g < G; ++g) {
      float* out = partial.data() + chunk * per_chunk + g * Mg * taps_;
      auto image_x = [&](int64_t n) { return x + (n * s.C + g * Cg) * s.H * s.W; };
      auto image_dy = [&](int64_t n) { return dy + (n * s.M + g * Mg) * P; };
      if (dot) {
        for (int64_t n = n0; n < n1; n += per_pass) {
          const int64_t images = std::min(per_pass, n1 - n);
          for (int64_t i = 0; i < images; ++i)
            k_->copy_to_tap_rows(s, tap_rows_, image_x(n + i), copy.data() + i * scratch);
          k_->weight_grad_dot(s, tap_rows_, tile, image_dy(n), copy.data(), images, j0, j1, out,
                              taps_);
        }
        continue;
      }
      for (int64_t n = n0; n < n1; ++n) {
        copy_to_channels_last(s, image_x(n), copy.data(), *k_);
        const ChannelsLastIm2colPacker packer(s, gemm_tap_offset_.data(), taps_, copy.data(), *k_);
        gemm::GemmProblem p;
        p.M = Mg;
        p.N = taps_;
        p.K = P;
        p.beta = n == n0 ? 0.0f : 1.0f;
        p.a = {nullptr, image_dy(n), P, false};
        p.b.packer = &packer;
        p.c = out;
        p.ldc = taps_;
        p.epi = &none;
        gemm::gemm_tile(ks, p, 0, Mg, j0, j1);
      }
    }
  };
  const int64_t tasks = chunks * col_parts;
  if (pool && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t t = 0; t < tasks; ++t) task(t, 0);
  }

  // Partials summed in chunk order; the GEMM's taps go from (kh, kw, c) to W's (c, kh, kw).
  const int64_t KK = s.KH * s.KW;
  for (int64_t row = 0; row < G * Mg; ++row)
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t k = 0; k < KK; ++k) {
        const float* src = partial.data() + row * taps_ + (dot ? c * KK + k : k * Cg + c);
        float sum = src[0];
        for (int64_t chunk = 1; chunk < chunks; ++chunk) sum += src[chunk * per_chunk];
        dw[(row * Cg + c) * KK + k] = sum;
      }
}

}  // namespace sinter
