#include "kernels/conv/conv2d_winograd.h"

#include <algorithm>

#include "core/cpu_features.h"
#include "core/thread_pool.h"
#include "kernels/conv/conv2d_winograd_transform.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter {
namespace {

constexpr int kTile = 4, kIn = 6, kXi = 36;

// Shared per-run scratch of the calling thread (workers only see it through pointers).
float* run_scratch(int64_t floats) {
  thread_local std::shared_ptr<float[]> buf;
  thread_local int64_t size = 0;
  if (size < floats) {
    buf = gemm::alloc_aligned_floats(floats);
    size = floats;
  }
  return buf.get();
}

}  // namespace

bool Conv2dWinograd::supports(const Conv2dShape& s) {
  return s.KH == 3 && s.KW == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.group == 1;
}

Conv2dWinograd::Conv2dWinograd(const Conv2dShape& s, const float* w) : s_(s) {
  // U = G g G^T for every (m, c), stored as 36 matrices [M, C].
  static const float G[kIn][3] = {{0.25f, 0.0f, 0.0f},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0.0f, 0.0f, 1.0f}};
  const int64_t M = s.M, C = s.C;
  std::vector<float> u(static_cast<size_t>(kXi * M * C));
  for (int64_t oc = 0; oc < M; ++oc) {
    for (int64_t c = 0; c < C; ++c) {
      const float* g = w + (oc * C + c) * 9;
      double gg[kIn][3];
      for (int i = 0; i < kIn; ++i)
        for (int k = 0; k < 3; ++k)
          gg[i][k] = G[i][0] * g[k] + G[i][1] * g[3 + k] + G[i][2] * g[6 + k];
      for (int i = 0; i < kIn; ++i)
        for (int k = 0; k < kIn; ++k)
          u[((i * kIn + k) * M + oc) * C + c] =
              static_cast<float>(gg[i][0] * G[k][0] + gg[i][1] * G[k][1] + gg[i][2] * G[k][2]);
    }
  }
  u_.reserve(kXi);
  for (int xi = 0; xi < kXi; ++xi) u_.emplace_back(false, M, C, u.data() + xi * M * C, C);
}

void Conv2dWinograd::run(const float* x, float* y, const float* bias, const float* residual,
                         const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const gemm::KernelSet& ks = u_[0].kernels();
  const int NR = ks.nr;
  const int64_t M = s.M, C = s.C, OH = s.OH(), OW = s.OW();
  const int64_t tiles_h = (OH + kTile - 1) / kTile, tiles_w = (OW + kTile - 1) / kTile;
  const int64_t tiles = tiles_h * tiles_w;
  // Tiles per block: the transformed input and the GEMM results of a block stay within ~2 MB.
  const int64_t budget = (2 << 20) / (kXi * (C + M) * 4);
  const int64_t tb_max = std::min(tiles, std::max<int64_t>(NR, budget / NR * NR));
  const int64_t npad_max = (tb_max + NR - 1) / NR * NR;
  // Slack at the end: the output transform's 8-wide passes read past the last tile.
  float* v = run_scratch(kXi * (C + M) * npad_max + 64);
  float* mres = v + kXi * C * npad_max;
  const GemmEpilogue none;
  auto par = [&](int64_t n, const std::function<void(int64_t, int)>& fn) {
    if (pool) {
      pool->parallel_for(n, fn);
    } else {
      for (int64_t i = 0; i < n; ++i) fn(i, 0);
    }
  };
  const bool avx2 = cpu_features().has_avx2_fma();
  const int64_t chunks = pool ? pool->num_threads() * 4 : 1;
  WinogradBlock blk;
  blk.s = &s;
  blk.tiles_w = tiles_w;
  blk.nr = NR;
  blk.kb = gemm::k_block(ks, C);
  blk.v = v;
  blk.m = mres;
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * C * s.H * s.W;
    const int64_t out = n * M * OH * OW;
    const float* r = residual ? residual + out : nullptr;
    for (int64_t t0 = 0; t0 < tiles; t0 += tb_max) {
      blk.t0 = t0;
      blk.tb = std::min(tb_max, tiles - t0);
      blk.npad = (blk.tb + NR - 1) / NR * NR;
      const int64_t cch = std::min(chunks, C), mch = std::min(chunks, M);
      par(cch, [&](int64_t i, int) {
        const int64_t c0 = C * i / cch, c1 = C * (i + 1) / cch;
        avx2 ? winograd_input_avx2(blk, xn, c0, c1) : winograd_input(blk, xn, c0, c1);
      });
      par(kXi, [&](int64_t xi, int) {
        gemm::GemmProblem p;
        p.M = M;
        p.N = blk.tb;
        p.K = C;
        p.a.packed = u_[static_cast<size_t>(xi)].data();
        p.b.packed = v + xi * C * blk.npad;
        p.c = mres + xi * M * blk.npad;
        p.ldc = blk.npad;
        p.epi = &none;
        gemm::gemm_tile(ks, p, 0, M, 0, blk.tb);
      });
      par(mch, [&](int64_t i, int) {
        const int64_t m0 = M * i / mch, m1 = M * (i + 1) / mch;
        avx2 ? winograd_output_avx2(blk, m0, m1, bias, r, act, y + out)
             : winograd_output(blk, m0, m1, bias, r, act, y + out);
      });
    }
  }
}

}  // namespace sinter
