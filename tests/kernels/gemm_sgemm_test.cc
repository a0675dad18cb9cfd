// Every GEMM path (each kernel set: plain, packed A, packed B) against sgemm_reference.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "isa_tiers.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/sgemm_driver.h"
#include "random_vec.h"

namespace sinter {
namespace {

enum class Path { kPlain, kPackedA, kPackedB };

// One kernel set per tier this CPU runs.
std::vector<const gemm::KernelSet*> kernel_sets() {
  std::vector<const gemm::KernelSet*> sets;
  for (Isa isa : tested_isas()) sets.push_back(&gemm::kernel_sets().at(isa));
  return sets;
}

// Pools are reused across cases: starting threads per case would dominate the run time.
ThreadPool* shared_pool(int threads) {
  static ThreadPool one(1), two(2);
  return threads == 1 ? &one : &two;
}

using testing::random_vec;

struct Case {
  bool ta = false, tb = false;
  int64_t M = 1, N = 1, K = 1;
  float alpha = 1.0f, beta = 0.0f;
  bool bias_row = false, bias_col = false, residual = false;
  Activation act;
  int threads = 1;
};

void run_case(const gemm::KernelSet& ks, Path path, const Case& c, std::mt19937& rng) {
  // Leading dimensions with slack catch stride bugs.
  const int64_t a_rows = c.ta ? c.K : c.M, a_cols = c.ta ? c.M : c.K;
  const int64_t b_rows = c.tb ? c.N : c.K, b_cols = c.tb ? c.K : c.N;
  const int64_t lda = a_cols + 3, ldb = b_cols + 1, ldc = c.N + 5, ldr = c.N + 2;
  auto A = random_vec(rng, a_rows * lda + 1);
  auto B = random_vec(rng, b_rows * ldb + 1);
  auto C0 = random_vec(rng, c.M * ldc + 1);
  auto brow = random_vec(rng, c.M), bcol = random_vec(rng, c.N);
  auto res = random_vec(rng, c.M * ldr + 1);
  GemmEpilogue epi;
  epi.bias_per_row = c.bias_row ? brow.data() : nullptr;
  epi.bias_per_col = c.bias_col ? bcol.data() : nullptr;
  epi.residual = c.residual ? res.data() : nullptr;
  epi.ld_residual = ldr;
  epi.activation = c.act;

  std::vector<float> ref = C0, got = C0;
  sgemm_reference(c.ta, c.tb, c.M, c.N, c.K, c.alpha, A.data(), lda, B.data(), ldb, c.beta,
                  ref.data(), ldc, epi, nullptr);

  gemm::GemmProblem p;
  p.M = c.M;
  p.N = c.N;
  p.K = c.K;
  p.alpha = c.alpha;
  p.beta = c.beta;
  p.a = {nullptr, A.data(), lda, c.ta};
  p.b = {nullptr, nullptr, B.data(), ldb, c.tb};
  p.c = got.data();
  p.ldc = ldc;
  p.epi = &epi;
  std::shared_ptr<float[]> packed;
  if (path == Path::kPackedA) {
    packed = gemm::alloc_aligned_floats(gemm::packed_a_size(ks, c.M, c.K));
    gemm::pack_a_full(ks, A.data(), lda, c.ta, c.M, c.K, c.alpha, packed.get());
    p.alpha = 1.0f;
    p.a = {packed.get()};
  } else if (path == Path::kPackedB) {
    packed = gemm::alloc_aligned_floats(gemm::packed_b_size(ks, c.K, c.N));
    gemm::pack_b_full(ks, B.data(), ldb, c.tb, c.K, c.N, c.alpha, packed.get());
    p.alpha = 1.0f;
    p.b = {packed.get()};
  }
  gemm::gemm_parallel(ks, p, shared_pool(c.threads));

  float max_ref = 0.0f;
  for (int64_t i = 0; i < c.M; ++i)
    for (int64_t j = 0; j < c.N; ++j) max_ref = std::max(max_ref, std::fabs(ref[i * ldc + j]));
  const float tol = 1e-4f * std::max(max_ref, 1.0f) * std::sqrt(static_cast<float>(c.K + 1));
  for (int64_t i = 0; i < c.M; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const float r = ref[i * ldc + j], g = got[i * ldc + j];
      if (j >= c.N) {  // padding between rows must be untouched
        ASSERT_EQ(g, C0[i * ldc + j]) << "wrote outside C at " << i << "," << j;
        continue;
      }
      ASSERT_NEAR(g, r, tol) << ks.name << " path " << static_cast<int>(path) << " M=" << c.M
                             << " N=" << c.N << " K=" << c.K << " ta=" << c.ta << " tb=" << c.tb
                             << " at " << i << "," << j;
    }
  }
}

Activation random_activation(std::mt19937& rng) {
  switch (rng() % 7) {
    case 0:
      return {};
    case 1:
      return Activation::relu();
    case 2:
      return Activation::clip(-0.5f, 0.7f);
    case 3:
      return {ActivationKind::kSigmoid};
    case 4:
      return {ActivationKind::kHardSigmoid, 0.2f, 0.5f};
    case 5:
      return {ActivationKind::kHardSwish};
    default:
      return {ActivationKind::kLeakyRelu, 0.1f};
  }
}

Case random_case(std::mt19937& rng, int64_t max_mn, int64_t max_k) {
  Case c;
  c.ta = rng() % 2;
  c.tb = rng() % 2;
  c.M = 1 + rng() % max_mn;
  c.N = 1 + rng() % max_mn;
  c.K = 1 + rng() % max_k;
  const float alphas[] = {1.0f, 0.5f, -1.25f};
  const float betas[] = {0.0f, 0.0f, 1.0f, -0.75f};
  c.alpha = alphas[rng() % 3];
  c.beta = betas[rng() % 4];
  c.bias_row = rng() % 2;
  c.bias_col = rng() % 3 == 0;
  c.residual = rng() % 2;
  c.act = random_activation(rng);
  c.threads = 1 + rng() % 2;
  return c;
}

TEST(Sgemm, RandomSmallShapesAllPaths) {
  std::mt19937 rng(1234);
  for (const auto* ks : kernel_sets())
    for (Path path : {Path::kPlain, Path::kPackedA, Path::kPackedB})
      for (int it = 0; it < 150; ++it) run_case(*ks, path, random_case(rng, 40, 40), rng);
}

TEST(Sgemm, ShapesCrossingCacheBlocks) {
  std::mt19937 rng(99);
  for (const auto* ks : kernel_sets())
    for (Path path : {Path::kPlain, Path::kPackedA, Path::kPackedB})
      for (int it = 0; it < 6; ++it) {
        Case c = random_case(rng, 1, 1);
        c.M = ks->mc + 1 + rng() % 40;
        c.N = 30 + rng() % 200;
        c.K = ks->kc + 1 + rng() % 300;
        run_case(*ks, path, c, rng);
      }
}

TEST(Sgemm, GemvAndSkinnyShapes) {
  std::mt19937 rng(7);
  for (const auto* ks : kernel_sets())
    for (Path path : {Path::kPlain, Path::kPackedB, Path::kPackedA})
      for (int64_t M : {1, 2, 3, 7}) {
        Case c = random_case(rng, 1, 1);
        c.M = M;
        c.N = 300 + rng() % 100;
        c.K = 500 + rng() % 100;
        c.threads = 2;
        run_case(*ks, path, c, rng);
      }
}

// Tiles of at most half a sliver's columns may take two A slivers per call (narrow_rows): row
// counts around one and two slivers, depths across a K block, every epilogue.
TEST(Sgemm, NarrowTilesOverSeveralSlivers) {
  std::mt19937 rng(21);
  for (const auto* ks : kernel_sets())
    for (Path path : {Path::kPlain, Path::kPackedA})
      for (int64_t M : {9, 15, 16, 17, 24, 33})
        for (int64_t N : {1, 4, 16, 17, 36}) {
          Case c = random_case(rng, 1, 1);
          c.M = M;
          c.N = N;
          c.K = rng() % 2 ? 1 + rng() % 40 : ks->kc + 1 + rng() % 100;
          c.bias_row = c.residual = true;
          run_case(*ks, path, c, rng);
        }
}

// A 7x7 plane's 49 pixels as rows: six full slivers and one row. The two threads' shares of
// the grid's work stay within 10 % of each other (a cut into 32 + 17 rows gave 65 / 35), and
// the tiles cover C exactly.
TEST(Sgemm, BalancedSplitWeighsRaggedEdges) {
  for (const auto* ks : kernel_sets()) {
    const int64_t M = 49, N = 160;
    const gemm::TileGrid g = gemm::split_balanced(*ks, M, N, 960, 2, false, false);
    ASSERT_GE(g.m_step * g.m_tiles, M);
    ASSERT_LT(g.m_step * (g.m_tiles - 1), M);
    ASSERT_GE(g.n_step * g.n_tiles, N);
    ASSERT_LT(g.n_step * (g.n_tiles - 1), N);
    // Tiles handed to the less loaded thread in order, weighed by their area.
    int64_t load[2] = {0, 0};
    for (int64_t i = 0; i < g.m_tiles; ++i)
      for (int64_t j = 0; j < g.n_tiles; ++j) {
        const int64_t rows = std::min(g.m_step, M - i * g.m_step);
        const int64_t cols = std::min(g.n_step, N - j * g.n_step);
        load[load[0] <= load[1] ? 0 : 1] += rows * cols;
      }
    EXPECT_LE(std::max(load[0], load[1]), std::min(load[0], load[1]) * 11 / 10)
        << ks->name << " grid " << g.m_tiles << "x" << g.n_tiles;
  }
}

TEST(Sgemm, EmptyDepthAppliesBetaAndEpilogue) {
  std::mt19937 rng(5);
  for (const auto* ks : kernel_sets()) {
    Case c;
    c.M = 7;
    c.N = 19;
    c.K = 0;
    c.beta = 0.5f;
    c.bias_row = c.residual = true;
    c.act = Activation::relu();
    run_case(*ks, Path::kPlain, c, rng);
  }
}

TEST(Sgemm, EachActivationInFullAndEdgeTiles) {
  std::mt19937 rng(11);
  const Activation acts[] = {{},
                             Activation::relu(),
                             Activation::clip(-0.3f, 0.4f),
                             {ActivationKind::kSigmoid},
                             {ActivationKind::kHardSigmoid, 0.2f, 0.5f},
                             {ActivationKind::kHardSwish},
                             {ActivationKind::kLeakyRelu, 0.01f}};
  for (const auto* ks : kernel_sets())
    for (const auto& act : acts) {
      Case c;
      c.M = 13;
      c.N = 37;
      c.K = 29;
      c.bias_row = c.bias_col = c.residual = true;
      c.act = act;
      run_case(*ks, Path::kPlain, c, rng);
    }
}

TEST(Sgemm, PublicApiMatchesReference) {
  std::mt19937 rng(3);
  ThreadPool pool(2);
  const int64_t M = 37, N = 53, K = 300;
  auto A = random_vec(rng, M * K), B = random_vec(rng, K * N), W = random_vec(rng, N * K);
  auto bias = random_vec(rng, N);
  GemmEpilogue epi;
  epi.bias_per_col = bias.data();
  epi.activation = Activation::relu();
  std::vector<float> ref(M * N), got(M * N, 0.0f);
  auto check = [&] {
    for (size_t i = 0; i < ref.size(); ++i) ASSERT_NEAR(got[i], ref[i], 1e-3f) << i;
  };
  sgemm_reference(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, ref.data(), N, epi,
                  nullptr);
  sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, got.data(), N, epi, &pool);
  check();
  PackedMatrixA pa(false, M, K, A.data(), K);
  std::fill(got.begin(), got.end(), 0.0f);
  sgemm_packed(pa, N, B.data(), N, false, got.data(), N, epi, &pool);
  check();
  // A fully-connected layer: weight W is [N, K], used transposed.
  sgemm_reference(false, true, M, N, K, 1.0f, A.data(), K, W.data(), K, 0.0f, ref.data(), N, epi,
                  nullptr);
  PackedMatrixB pb(true, K, N, W.data(), K);
  std::fill(got.begin(), got.end(), 0.0f);
  sgemm_packed_b(false, M, A.data(), K, pb, got.data(), N, epi, &pool);
  check();
}

}  // namespace
}  // namespace sinter
