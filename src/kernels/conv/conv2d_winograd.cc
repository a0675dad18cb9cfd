#include "kernels/conv/conv2d_winograd.h"

#include <algorithm>

#include "core/thread_pool.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/prepacked_weights.h"
#include "kernels/thread_scratch.h"

namespace sinter {
namespace {

constexpr int kTile = 4, kIn = 6, kXi = 36;

// Per-run scratch of a thread (kernels/thread_scratch.h); in a block split three ways, the
// calling thread's, which the workers see through pointers.
float* run_scratch(int64_t floats) { return kernels::thread_scratch<Conv2dWinograd>(floats); }

// U = G g G^T for every (m, c), as 36 matrices [M, C].
std::vector<float> transform_weights(const float* w, int64_t M, int64_t C) {
  static const float G[kIn][3] = {{0.25f, 0.0f, 0.0f},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0.0f, 0.0f, 1.0f}};
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
  return u;
}

}  // namespace

const kernels::IsaTables<WinogradKernels>& winograd_kernels() {
  static const kernels::IsaTables<WinogradKernels> t{&detail::winograd_kernels_portable(),
                                                     &detail::winograd_kernels_avx2(),
                                                     &detail::winograd_kernels_avx512()};
  return t;
}

bool Conv2dWinograd::supports(const Conv2dShape& s) {
  return s.KH == 3 && s.KW == 3 && s.stride_h == 1 && s.stride_w == 1 && s.dilation_h == 1 &&
         s.dilation_w == 1 && s.group == 1;
}

Conv2dWinograd::Conv2dWinograd(const Conv2dShape& s, const float* w) : s_(s) {
  const int64_t M = s.M, C = s.C;
  // The 36 packed matrices share one buffer, so a plan file keeps the transform's result whole;
  // each starts on a cache line.
  const int64_t size = PackedMatrixA::packed_size(M, C), each = (size + 15) / 16 * 16;
  std::shared_ptr<float[]> packed = kernels::prepacked_floats(kXi * each, [&](float* out) {
    const std::vector<float> u = transform_weights(w, M, C);
    for (int xi = 0; xi < kXi; ++xi) {
      PackedMatrixA::pack(false, M, C, u.data() + xi * M * C, C, out + xi * each);
      std::fill(out + xi * each + size, out + (xi + 1) * each, 0.0f);
    }
  });
  u_.reserve(kXi);
  for (int xi = 0; xi < kXi; ++xi)
    u_.emplace_back(M, C, std::shared_ptr<float[]>(packed, packed.get() + xi * each));
}

void Conv2dWinograd::run(const float* x, float* y, const float* bias, const float* residual,
                         const Activation& act, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const gemm::KernelSet& ks = u_[0].kernels();
  const int NR = ks.nr;
  const int64_t M = s.M, C = s.C, OH = s.OH(), OW = s.OW();
  const int64_t tiles_h = (OH + kTile - 1) / kTile, tiles_w = (OW + kTile - 1) / kTile;
  const int64_t tiles = tiles_h * tiles_w;
  // Tiles per block: a block's transformed input and GEMM results stay within ~4 MB.
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t budget = std::max<int64_t>(NR, (4 << 20) / (kXi * (C + M) * 4));
  int64_t blocks = (tiles + budget - 1) / budget;
  // Whole blocks per thread (one barrier, scratch in each thread's cache) when there are enough
  // blocks, or when cutting the tiles into one block per thread pads the GEMMs' columns by at
  // most 1/8 more, in a count that divides evenly among the threads; else every block is split.
  // Columns are paid for in half slivers: the micro-kernels compute a last tile of at most
  // half a sliver at half cost.
  const int64_t per_thread_tiles = (tiles + threads - 1) / threads;
  const int64_t half = std::max(1, NR / 2);
  const int64_t padded_whole = (tiles + half - 1) / half * half,
                padded_split = threads * ((per_thread_tiles + half - 1) / half * half);
  const bool even = threads == 1 || s.N * blocks >= threads || 8 * padded_split <= 9 * padded_whole;
  // Else, with a sliver of tiles or more per thread, blocks of whole slivers: uneven (7x10
  // tiles: 64 + 6), but still a better split than the three-way one, whose phases each pass the
  // block between the cores' caches.
  const bool slivers = !even && s.N == 1 && tiles >= threads * NR;
  const bool per_thread = even || slivers;
  if (even && s.N * blocks < 4 * threads) {
    const int64_t per_image = (threads + s.N - 1) / s.N;
    blocks = std::min(tiles, (blocks + per_image - 1) / per_image * per_image);
  }
  const int64_t tb_max =
      slivers ? (per_thread_tiles + NR - 1) / NR * NR : (tiles + blocks - 1) / blocks;
  blocks = (tiles + tb_max - 1) / tb_max;
  const int64_t npad_max = (tb_max + NR - 1) / NR * NR;
  // Slack at the end: the output transform's 8-wide passes read past the last tile.
  const int64_t scratch = kXi * (C + M) * npad_max + 64;
  const GemmEpilogue none;
  const WinogradKernels& transforms = winograd_kernels().active();
  const int64_t work = s.N * blocks;

  // Block `i` of all images' blocks, with its transformed input and GEMM results in v.
  auto block = [&](int64_t i, float* v) {
    WinogradBlock b;
    b.s = &s;
    b.tiles_w = tiles_w;
    b.nr = NR;
    b.kb = gemm::k_block(ks, C);
    b.t0 = i % blocks * tb_max;
    b.tb = std::min(tb_max, tiles - b.t0);
    b.npad = (b.tb + NR - 1) / NR * NR;
    b.v = v;
    b.m = v + kXi * C * b.npad;
    return b;
  };
  auto input = [&](const WinogradBlock& b, int64_t n, int64_t c0, int64_t c1) {
    const float* xn = x + n * C * s.H * s.W;
    transforms.input(b, xn, c0, c1);
  };
  auto multiply = [&](const WinogradBlock& b, int64_t xi, int64_t m0, int64_t m1) {
    gemm::GemmProblem p;
    p.M = M;
    p.N = b.tb;
    p.K = C;
    p.a.packed = u_[static_cast<size_t>(xi)].data();
    p.b.packed = b.v + xi * C * b.npad;
    p.c = const_cast<float*>(b.m) + xi * M * b.npad;
    p.ldc = b.npad;
    p.epi = &none;
    gemm::gemm_tile(ks, p, m0, m1, 0, b.tb);
  };
  auto output = [&](const WinogradBlock& b, int64_t n, int64_t m0, int64_t m1) {
    const int64_t out = n * M * OH * OW;
    const float* r = residual ? residual + out : nullptr;
    transforms.output(b, m0, m1, bias, r, act, y + out);
  };

  if (per_thread) {
    auto whole = [&](int64_t i, int) {
      const WinogradBlock b = block(i, run_scratch(scratch));
      input(b, i / blocks, 0, C);
      for (int64_t xi = 0; xi < kXi; ++xi) multiply(b, xi, 0, M);
      output(b, i / blocks, 0, M);
    };
    if (pool && work > 1) {
      pool->parallel_for(work, whole);
    } else {
      for (int64_t i = 0; i < work; ++i) whole(i, 0);
    }
    return;
  }
  // Few blocks: split each one three ways (channels, the 36 GEMMs, output channels).
  float* v = run_scratch(scratch);
  const int64_t cch = std::min<int64_t>(4 * threads, C), mch = std::min<int64_t>(4 * threads, M);
  for (int64_t i = 0; i < work; ++i) {
    const WinogradBlock b = block(i, v);
    const int64_t n = i / blocks;
    pool->parallel_for(cch, [&](int64_t j, int) { input(b, n, C * j / cch, C * (j + 1) / cch); });
    pool->parallel_for(kXi, [&](int64_t xi, int) { multiply(b, xi, 0, M); });
    pool->parallel_for(mch, [&](int64_t j, int) { output(b, n, M * j / mch, M * (j + 1) / mch); });
  }
}

}  // namespace sinter
