#include "kernels/gemm/sgemm_driver.h"

#include <algorithm>
#include <cstring>
#include <numeric>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/thread_scratch.h"

namespace sinter::gemm {
namespace {

int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
int64_t ceil_div(int64_t x, int64_t m) { return (x + m - 1) / m; }

// Tag of the per-thread packing scratch: bounded by mc*kc + kc*nc floats.
struct PackingScratch;

}  // namespace

bool reads_b_directly(const KernelSet& ks, const GemmProblem& p) {
  if (!p.b.data || p.b.trans || p.b.packer) return false;
  // Packing B costs about a cycle per element; each element then feeds 2*M flops. With few rows
  // (a 1x1 conv projecting to 16-64 channels) packing would cost a third of the compute or more.
  if (p.M <= kDirectBMaxRows) return true;
  // With rows a whole number of slivers long each sliver row is whole cache lines, and reading
  // in place wins as long as a sliver's kc rows stay in L2. Rows ld apart map to the L2 sets
  // ld / 16 apart: a power-of-two ld puts them in a few sets, which they evict (ld = 1024 runs
  // at two thirds of the speed of a packed B). Sets and usable ways of a 1 MiB 16-way L2.
  if (p.b.ld % ks.nr != 0) return false;
  constexpr int64_t kL2Sets = 1024, kUsableWays = 8;
  const int64_t stride_lines = p.b.ld / 16;
  const int64_t sets = kL2Sets / std::gcd(stride_lines, kL2Sets);
  const int64_t sliver_lines = k_block(ks, p.K) * ((ks.nr + 15) / 16);
  return sliver_lines <= sets * kUsableWays;
}

void gemm_tile(const KernelSet& ks, const GemmProblem& p, int64_t m0, int64_t m1, int64_t n0,
               int64_t n1) {
  const int MR = ks.mr, NR = ks.nr;
  const int64_t K = p.K;
  const int64_t kc_max = k_block(ks, K);
  const int64_t mc_max = std::min(ks.mc, round_up(m1 - m0, MR));
  const int64_t nc_max = std::min(ks.nc, round_up(n1 - n0, NR));
  const bool pack_a = p.a.packed == nullptr, pack_b = p.b.packed == nullptr;
  const bool direct_b = pack_b && reads_b_directly(ks, p);
  // The B panel starts on a 64-byte boundary: micro-kernels use aligned loads.
  const int64_t a_floats = pack_a ? round_up(mc_max * kc_max, 16) : 0;
  float* scratch =
      kernels::thread_scratch<PackingScratch>(a_floats + (pack_b ? kc_max * nc_max : 0));
  float* a_buf = scratch;
  float* b_buf = scratch + a_floats;
  const int64_t mpad = round_up(p.M, MR), npad = round_up(p.N, NR);
  const GemmEpilogue& epi = *p.epi;

  TileArgs t{};
  t.ldc = p.ldc;
  t.alpha = p.alpha;
  t.ld_residual = epi.ld_residual;
  t.act = &epi.activation;

  for (int64_t jc = n0; jc < n1; jc += ks.nc) {
    const int64_t nc = std::min(ks.nc, n1 - jc);
    int64_t pc = 0;
    do {  // runs once when K == 0 so that beta * C and the epilogue still apply
      const int64_t kc = std::min(kc_max, K - pc);
      const float* bp;
      if (direct_b) {
        bp = nullptr;  // full slivers read p.b.data in place; the ragged last one is packed
      } else if (pack_b) {
        if (p.b.packer) {
          p.b.packer->pack(pc, kc, jc, nc, NR, b_buf);
        } else {
          pack_b_block(p.b.data, p.b.ld, p.b.trans, pc, kc, jc, nc, NR, 1.0f, b_buf);
        }
        bp = b_buf;
      } else {
        bp = p.b.packed + pc * npad + (jc / NR) * kc * NR;
      }
      t.kc = kc;
      t.c_scale = pc == 0 ? p.beta : 1.0f;
      t.last = pc + kc >= K;
      for (int64_t ic = m0; ic < m1; ic += ks.mc) {
        const int64_t mc = std::min(ks.mc, m1 - ic);
        const float* ap;
        if (pack_a) {
          pack_a_block(p.a.data, p.a.ld, p.a.trans, ic, mc, pc, kc, MR, 1.0f, a_buf);
          ap = a_buf;
        } else {
          ap = p.a.packed + pc * mpad + (ic / MR) * kc * MR;
        }
        for (int64_t jr = 0; jr < nc; jr += NR) {
          const int64_t col = jc + jr;
          t.nr = static_cast<int>(std::min<int64_t>(NR, nc - jr));
          if (!direct_b) {
            t.b = bp + (jr / NR) * kc * NR;
            t.ldb = NR;
          } else if (t.nr == NR) {
            t.b = p.b.data + pc * p.b.ld + col;
            t.ldb = p.b.ld;
          } else {
            pack_b_block(p.b.data, p.b.ld, false, pc, kc, col, t.nr, NR, 1.0f, b_buf);
            t.b = b_buf;
            t.ldb = NR;
          }
          t.bias_col = epi.bias_per_col ? epi.bias_per_col + col : nullptr;
          // A narrow tile may take several A slivers per call (KernelSet::narrow_rows).
          const int64_t step = 2 * t.nr <= NR ? ks.narrow_rows : MR;
          const int64_t calls = (mc + step - 1) / step;
          for (int64_t ir = 0; ir < mc; ir += step) {
            const int64_t row = ic + ir, call = ir / step;
            t.a = ap + (ir / MR) * kc * MR;
            // Prepacked operands are weights, cold on their first tile: fetch the next call's
            // A slivers during the first column's tiles, or a share of the next B sliver during
            // each.
            t.prefetch_lines = 0;
            if (!pack_a && jr == 0 && ir + step < mc) {
              t.prefetch = t.a + kc * step;
              t.prefetch_lines = kc * step / 16;
            } else if (!pack_b && jr + NR < nc) {
              const int64_t lines = kc * NR / 16;
              const int64_t first = lines * call / calls;
              t.prefetch = bp + (jr / NR + 1) * kc * NR + first * 16;
              t.prefetch_lines = lines * (call + 1) / calls - first;
            }
            t.mr = static_cast<int>(std::min<int64_t>(step, mc - ir));
            t.c = p.c + row * p.ldc + col;
            t.bias_row = epi.bias_per_row ? epi.bias_per_row + row : nullptr;
            t.residual = epi.residual ? epi.residual + row * epi.ld_residual + col : nullptr;
            ks.micro(t);
          }
        }
      }
      pc += kc;
    } while (pc < K);
  }
}

TileGrid split_tiles(const KernelSet& ks, int64_t M, int64_t N, int64_t K, int64_t tasks,
                     bool pack_a, bool pack_b) {
  const int64_t m_slivers = ceil_div(M, ks.mr), n_slivers = ceil_div(N, ks.nr);
  TileGrid best;
  double best_cost = -1;
  for (int64_t tm = 1; tm <= std::min(tasks, m_slivers); ++tm) {
    const int64_t tn = std::min(tasks / tm, n_slivers);
    if (tn < 1) break;
    const int64_t ms = ceil_div(m_slivers, tm) * ks.mr, ns = ceil_div(n_slivers, tn) * ks.nr;
    // Cycles per unit of K for the largest tile: FMAs at ~16 flops/cycle, plus packing ~1
    // cycle per float of each operand the tile packs itself.
    const double cost = static_cast<double>(ms) * static_cast<double>(ns) / 16.0 +
                        (pack_b ? static_cast<double>(ns) : 0.0) +
                        (pack_a ? static_cast<double>(ms) : 0.0);
    if (best_cost < 0 || cost < best_cost) {
      best_cost = cost;
      best.m_step = ms;
      best.n_step = ns;
    }
  }
  best.m_tiles = ceil_div(M, best.m_step);
  best.n_tiles = ceil_div(N, best.n_step);
  return best;
}

int64_t useful_tasks(int64_t M, int64_t N, int64_t K, int threads) {
  // Below ~256 kflop per task the fork/join costs more than it saves.
  const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(N) *
                       static_cast<double>(std::max<int64_t>(K, 1));
  const int64_t by_work = static_cast<int64_t>(flops / 2.56e5);
  return std::clamp<int64_t>(by_work, 1, threads);
}

TileGrid split_balanced(const KernelSet& ks, int64_t M, int64_t N, int64_t K, int threads,
                        bool pack_a, bool pack_b) {
  const int64_t m_slivers = ceil_div(M, ks.mr), n_slivers = ceil_div(N, ks.nr);
  const int64_t max_tiles = 4 * static_cast<int64_t>(threads);
  // Cycles per unit of K, as in split_tiles, of a tile's actual rows and columns (the
  // micro-kernels skip the rows past M), plus a fixed cost per tile for its dispatch.
  const double per_tile = 2000.0 / static_cast<double>(std::max<int64_t>(K, 1));
  auto tile_cost = [&](int64_t rows, int64_t cols) {
    return static_cast<double>(rows) * static_cast<double>(round_up(cols, ks.nr)) / 16.0 +
           (pack_b ? static_cast<double>(cols) : 0.0) + (pack_a ? static_cast<double>(rows) : 0.0) +
           per_tile;
  };
  TileGrid best;
  double best_time = -1;
  for (int64_t tm = 1; tm <= std::min(m_slivers, max_tiles); ++tm) {
    for (int64_t tn = 1; tn <= std::min(n_slivers, max_tiles / tm); ++tn) {
      TileGrid g;
      g.m_step = ceil_div(m_slivers, tm) * ks.mr;
      g.n_step = ceil_div(n_slivers, tn) * ks.nr;
      g.m_tiles = ceil_div(M, g.m_step);
      g.n_tiles = ceil_div(N, g.n_step);
      const int64_t m_last = M - (g.m_tiles - 1) * g.m_step;
      const int64_t n_last = N - (g.n_tiles - 1) * g.n_step;
      // The pool hands tiles to threads as they come free: place each on the least loaded.
      std::vector<double> load(static_cast<size_t>(threads), 0.0);
      for (int64_t i = 0; i < g.m_tiles; ++i)
        for (int64_t j = 0; j < g.n_tiles; ++j)
          *std::min_element(load.begin(), load.end()) += tile_cost(
              i + 1 < g.m_tiles ? g.m_step : m_last, j + 1 < g.n_tiles ? g.n_step : n_last);
      const double time = *std::max_element(load.begin(), load.end());
      if (best_time < 0 || time < best_time * 0.999) {
        best_time = time;
        best = g;
      }
    }
  }
  return best;
}

void gemm_parallel(const KernelSet& ks, const GemmProblem& p, ThreadPool* pool) {
  if (p.M <= 0 || p.N <= 0) return;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t tasks = useful_tasks(p.M, p.N, p.K, threads);
  if (tasks == 1) {
    gemm_tile(ks, p, 0, p.M, 0, p.N);
    return;
  }
  const TileGrid g = split_balanced(ks, p.M, p.N, p.K, static_cast<int>(tasks),
                                    p.a.packed == nullptr, p.b.packed == nullptr);
  pool->parallel_for(g.count(), [&](int64_t i, int) {
    const int64_t m0 = (i / g.n_tiles) * g.m_step, n0 = (i % g.n_tiles) * g.n_step;
    gemm_tile(ks, p, m0, std::min(p.M, m0 + g.m_step), n0, std::min(p.N, n0 + g.n_step));
  });
}

}  // namespace sinter::gemm
