#include "kernels/conv/conv2d_winograd.h"

#include <algorithm>

#include "core/thread_pool.h"
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

// B^T d for one column of 6 (lanes are independent tiles).
template <int L>
inline void bt6(const float (*d)[L], float (*r)[L]) {
  for (int l = 0; l < L; ++l) {
    const float d0 = d[0][l], d1 = d[1][l], d2 = d[2][l], d3 = d[3][l], d4 = d[4][l], d5 = d[5][l];
    r[0][l] = 4.0f * d0 - 5.0f * d2 + d4;
    r[1][l] = -4.0f * (d1 + d2) + d3 + d4;
    r[2][l] = 4.0f * (d1 - d2) - d3 + d4;
    r[3][l] = 2.0f * (d3 - d1) - d2 + d4;
    r[4][l] = 2.0f * (d1 - d3) - d2 + d4;
    r[5][l] = 4.0f * d1 - 5.0f * d3 + d5;
  }
}

// A^T m for one column of 6.
template <int L>
inline void at6(const float (*m)[L], float (*r)[L]) {
  for (int l = 0; l < L; ++l) {
    const float a = m[1][l] + m[2][l], b = m[1][l] - m[2][l];
    const float c = m[3][l] + m[4][l], e = m[3][l] - m[4][l];
    r[0][l] = m[0][l] + a + c;
    r[1][l] = b + 2.0f * e;
    r[2][l] = a + 4.0f * c;
    r[3][l] = b + 8.0f * e + m[5][l];
  }
}

// Transforms channels [c0, c1) of NR tiles starting at tile t0 into the packed-B layout of the
// 36 GEMMs (K = C, N = tiles in the block, column j = t - tile_begin).
template <int NR>
void input_transform(const Conv2dShape& s, const float* x, int64_t tiles_w, int64_t t_begin,
                     int64_t tb, int64_t c0, int64_t c1, int64_t kb, float* v) {
  const int64_t npad = (tb + NR - 1) / NR * NR, C = s.C;
  for (int64_t j0 = 0; j0 < tb; j0 += NR) {
    int64_t ih0[NR], iw0[NR];
    const int lanes = static_cast<int>(std::min<int64_t>(NR, tb - j0));
    for (int l = 0; l < NR; ++l) {
      const int64_t t = t_begin + j0 + std::min(l, lanes - 1);
      ih0[l] = (t / tiles_w) * kTile - s.pad_top;
      iw0[l] = (t % tiles_w) * kTile - s.pad_left;
    }
    for (int64_t c = c0; c < c1; ++c) {
      const float* xc = x + c * s.H * s.W;
      float d[kIn][kIn][NR], r[kIn][kIn][NR];
      for (int l = 0; l < NR; ++l) {
        for (int i = 0; i < kIn; ++i) {
          const int64_t ih = ih0[l] + i;
          const bool row_ok = l < lanes && ih >= 0 && ih < s.H;
          for (int k = 0; k < kIn; ++k) {
            const int64_t iw = iw0[l] + k;
            d[i][k][l] = row_ok && iw >= 0 && iw < s.W ? xc[ih * s.W + iw] : 0.0f;
          }
        }
      }
      // Rows: r[i][k] = sum_j BT[i][j] d[j][k]; then columns of r, in place into d.
      float col[kIn][NR], out[kIn][NR];
      for (int k = 0; k < kIn; ++k) {
        for (int i = 0; i < kIn; ++i)
          for (int l = 0; l < NR; ++l) col[i][l] = d[i][k][l];
        bt6<NR>(col, out);
        for (int i = 0; i < kIn; ++i)
          for (int l = 0; l < NR; ++l) r[i][k][l] = out[i][l];
      }
      const int64_t pc = c / kb * kb, kc = std::min(kb, C - pc);
      const int64_t base = pc * npad + (j0 / NR) * kc * NR + (c - pc) * NR;
      for (int i = 0; i < kIn; ++i) {
        bt6<NR>(r[i], out);
        for (int k = 0; k < kIn; ++k) {
          float* dst = v + (i * kIn + k) * C * npad + base;
          for (int l = 0; l < NR; ++l) dst[l] = out[k][l];
        }
      }
    }
  }
}

// Output transform of channels [m0, m1): m holds the 36 GEMM results [xi][M][ldm].
template <int NR>
void output_transform(const Conv2dShape& s, const float* m, int64_t ldm, int64_t tiles_w,
                      int64_t t_begin, int64_t tb, int64_t m0, int64_t m1, const float* bias,
                      const float* residual, const Activation& act, float* y) {
  const int64_t OH = s.OH(), OW = s.OW(), M = s.M;
  for (int64_t oc = m0; oc < m1; ++oc) {
    for (int64_t j0 = 0; j0 < tb; j0 += NR) {
      const int lanes = static_cast<int>(std::min<int64_t>(NR, tb - j0));
      float r[kTile][kIn][NR], col[kIn][NR], out[kIn][NR];
      for (int k = 0; k < kIn; ++k) {  // columns: A^T over the row index
        for (int i = 0; i < kIn; ++i) {
          const float* src = m + ((i * kIn + k) * M + oc) * ldm + j0;
          for (int l = 0; l < NR; ++l) col[i][l] = l < lanes ? src[l] : 0.0f;
        }
        at6<NR>(col, out);
        for (int i = 0; i < kTile; ++i)
          for (int l = 0; l < NR; ++l) r[i][k][l] = out[i][l];
      }
      const float b = bias ? bias[oc] : 0.0f;
      for (int i = 0; i < kTile; ++i) {
        at6<NR>(r[i], out);
        for (int l = 0; l < lanes; ++l) {
          const int64_t t = t_begin + j0 + l;
          const int64_t oh = (t / tiles_w) * kTile + i, ow0 = (t % tiles_w) * kTile;
          if (oh >= OH) continue;
          const int64_t o = (oc * OH + oh) * OW;
          for (int k = 0; k < kTile && ow0 + k < OW; ++k) {
            float v = out[k][l] + b;
            if (residual) v += residual[o + ow0 + k];
            y[o + ow0 + k] = act.apply(v);
          }
        }
      }
    }
  }
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
  float* v = run_scratch(kXi * (C + M) * npad_max);
  float* mres = v + kXi * C * npad_max;
  const int64_t kb = gemm::k_block(ks, C);
  const GemmEpilogue none;
  auto par = [&](int64_t n, const std::function<void(int64_t, int)>& fn) {
    if (pool) {
      pool->parallel_for(n, fn);
    } else {
      for (int64_t i = 0; i < n; ++i) fn(i, 0);
    }
  };
  const int64_t chunks = pool ? pool->num_threads() * 4 : 1;
  for (int64_t n = 0; n < s.N; ++n) {
    const float* xn = x + n * C * s.H * s.W;
    const int64_t out = n * M * OH * OW;
    for (int64_t t0 = 0; t0 < tiles; t0 += tb_max) {
      const int64_t tb = std::min(tb_max, tiles - t0), ldm = (tb + NR - 1) / NR * NR;
      par(std::min(chunks, C), [&](int64_t i, int) {
        const int64_t c0 = C * i / std::min(chunks, C), c1 = C * (i + 1) / std::min(chunks, C);
        if (NR == 16) {
          input_transform<16>(s, xn, tiles_w, t0, tb, c0, c1, kb, v);
        } else {
          input_transform<8>(s, xn, tiles_w, t0, tb, c0, c1, kb, v);
        }
      });
      par(kXi, [&](int64_t xi, int) {
        gemm::GemmProblem p;
        p.M = M;
        p.N = tb;
        p.K = C;
        p.a.packed = u_[static_cast<size_t>(xi)].data();
        p.b.packed = v + xi * C * ldm;
        p.c = mres + xi * M * ldm;
        p.ldc = ldm;
        p.epi = &none;
        gemm::gemm_tile(ks, p, 0, M, 0, tb);
      });
      par(std::min(chunks, M), [&](int64_t i, int) {
        const int64_t m0 = M * i / std::min(chunks, M), m1 = M * (i + 1) / std::min(chunks, M);
        const float* r = residual ? residual + out : nullptr;
        if (NR == 16) {
          output_transform<16>(s, mres, ldm, tiles_w, t0, tb, m0, m1, bias, r, act, y + out);
        } else {
          output_transform<8>(s, mres, ldm, tiles_w, t0, tb, m0, m1, bias, r, act, y + out);
        }
      });
    }
  }
}

}  // namespace sinter
