// CsrGemm (both the gathering and the transposed path) against sgemm_reference on the same
// dense weights, over random shapes, sparsities and epilogues, on every ISA tier with loops of
// its own (isa_tiers.h); BlockedCsr's segments.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "isa_tiers.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/sparse_kernel_choice.h"
#include "sparse_test_util.h"

namespace sinter::testing {
namespace {

TEST(CsrGemm, RandomShapesAndEpilogues) {
  std::mt19937 rng(11);
  const int64_t rows[] = {1, 2, 3, 7, 8, 9, 16, 17, 63, 64, 65, 130};
  for (int it = 0; it < 300; ++it) {
    const int64_t M = rows[rng() % std::size(rows)], N = 1 + rng() % 40, K = 1 + rng() % 90;
    const bool trans_b = rng() % 2;
    const float alpha = rng() % 2 ? 1.0f : 0.75f;
    const float beta = rng() % 3 == 0 ? 0.5f : 0.0f;
    const int64_t lda = K + rng() % 3, ldy = N + rng() % 3;
    auto a = random_floats(rng, M * lda);
    auto b = random_sparse(rng, K * N, (rng() % 5) / 4.0);
    auto y0 = random_floats(rng, M * ldy);
    const RandomGemmEpilogue random_epi(rng, M, N);
    const GemmEpilogue& epi = random_epi.epi;
    const int threads = 1 + rng() % 2;
    std::vector<float> ref = y0;
    sgemm_reference(false, trans_b, M, N, K, alpha, a.data(), lda, b.data(), trans_b ? K : N, beta,
                    ref.data(), ldy, epi, nullptr);
    const float tol = sum_tolerance(ref, K);
    for (Isa isa : tested_isas()) {
      if (!sparse_kernels().has(isa)) continue;
      std::vector<float> got = y0;
      CsrGemm(trans_b, K, N, b.data(), alpha, isa)
          .run(M, a.data(), lda, got.data(), ldy, epi, beta, sparse_test_pool(threads));
      for (int64_t i = 0; i < M; ++i)
        for (int64_t j = 0; j < ldy; ++j)
          ASSERT_NEAR(got[i * ldy + j], ref[i * ldy + j], tol)
              << isa_name(isa) << " at (" << i << ", " << j << ") M=" << M << " N=" << N
              << " K=" << K << " trans_b=" << trans_b << " beta=" << beta << " threads=" << threads;
    }
  }
}

// Reductions longer than a column block (BlockedCsr::kColumnBlock): segments in several blocks,
// the last one partial, the gathering and the transposed path.
TEST(CsrGemm, SpansColumnBlocks) {
  std::mt19937 rng(12);
  constexpr int64_t kBlock = BlockedCsr::kColumnBlock;
  for (const int64_t K : {kBlock - 1, kBlock, kBlock + 1, 2 * kBlock + 37})
    for (const int64_t M : {1, 3, 9}) {
      const int64_t N = 1 + rng() % 20;
      const bool trans_b = rng() % 2;
      auto a = random_floats(rng, M * K);
      auto b = random_sparse(rng, K * N, 0.25);
      std::vector<float> ref(M * N);
      sgemm_reference(false, trans_b, M, N, K, 1.0f, a.data(), K, b.data(), trans_b ? K : N, 0.0f,
                      ref.data(), N, {}, nullptr);
      const float tol = sum_tolerance(ref, K);
      for (Isa isa : tested_isas()) {
        if (!sparse_kernels().has(isa)) continue;
        std::vector<float> got(M * N, NAN);
        CsrGemm(trans_b, K, N, b.data(), 1.0f, isa)
            .run(M, a.data(), K, got.data(), N, {}, 0.0f, sparse_test_pool(1));
        for (int64_t i = 0; i < M * N; ++i)
          ASSERT_NEAR(got[i], ref[i], tol)
              << isa_name(isa) << " at " << i << " M=" << M << " N=" << N << " K=" << K;
      }
    }
}

TEST(BlockedCsr, SegmentsPerColumnBlock) {
  constexpr int64_t kBlock = BlockedCsr::kColumnBlock;
  // Row 0: columns 1 and kBlock + 2; row 1: column kBlock.
  std::vector<float> w(2 * (kBlock + 3), 0.0f);
  w[1] = 1.0f;
  w[kBlock + 2] = 2.0f;
  w[(kBlock + 3) + kBlock] = 3.0f;
  const BlockedCsr b =
      BlockedCsr::from_csr(CsrMatrix::from_dense(2, kBlock + 3, w.data(), kBlock + 3, 1));
  EXPECT_EQ(b.blocks, 2);
  EXPECT_EQ(b.segment_begin, (std::vector<int32_t>{0, 1, 1, 2, 3}));
  EXPECT_EQ(b.col, (std::vector<uint16_t>{1, 2, 0}));
  EXPECT_EQ(b.value, (std::vector<float>{1.0f, 2.0f, 3.0f}));
}

// Every n-th weight nonzero: a density of 1 / n.
std::vector<float> every_nth(int64_t count, int64_t n) {
  std::vector<float> w(count, 0.0f);
  for (int64_t i = 0; i < count; i += n) w[i] = 1.0f;
  return w;
}

// For few rows of A a small weight pays at 12 % nonzeros or fewer, one larger than the caches
// (over 32 MiB) at 20 %; for many rows at 25 %.
TEST(CsrGemm, PaysBelowItsDensities) {
  const auto small_at_14 = every_nth(3136 * 256, 7), small_at_11 = every_nth(3136 * 256, 9);
  EXPECT_FALSE(csr_gemm_pays(1, small_at_14.data(), 3136 * 256));
  EXPECT_TRUE(csr_gemm_pays(1, small_at_11.data(), 3136 * 256));
  EXPECT_TRUE(csr_gemm_pays(64, small_at_14.data(), 3136 * 256));
  const int64_t large = 9 << 20;  // 36 MiB of floats
  const auto large_at_17 = every_nth(large, 6), large_at_25 = every_nth(large, 4);
  EXPECT_TRUE(csr_gemm_pays(1, large_at_17.data(), large));
  EXPECT_FALSE(csr_gemm_pays(1, large_at_25.data(), large));
}

TEST(CsrGemm, CountsNonzerosOfTheWeight) {
  const std::vector<float> b = {0, 1, 0, 2, 0, 0};  // [K=2, N=3]
  EXPECT_EQ(CsrGemm(false, 2, 3, b.data(), 1.0f).nonzeros(), 2);
}

}  // namespace
}  // namespace sinter::testing
