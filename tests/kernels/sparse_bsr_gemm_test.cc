// BsrGemm (the gathering and the transposed path) against sgemm_reference on the same dense
// weights: weights pruned in blocks of outputs and unstructured ones (a block multiplies the
// zeros it holds), ragged last block rows, reductions over several column blocks, epilogues.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/gemm/sgemm.h"
#include "kernels/sparse/blocked_csr.h"
#include "kernels/sparse/bsr_gemm.h"
#include "sparse_test_util.h"

namespace sinter::testing {
namespace {

constexpr int64_t kRows = BsrGemmWeights::kRows;

// op(B) [K x N] (B stored [N, K] when trans_b) whose zeros come in blocks of kRows outputs at one
// input, each block kept with probability `density`.
std::vector<float> block_pruned_b(std::mt19937& rng, bool trans_b, int64_t K, int64_t N,
                                  double density) {
  std::vector<float> w_nk = random_block_sparse(rng, N, K, kRows, density);  // [N, K]
  if (trans_b) return w_nk;
  std::vector<float> b(K * N);
  for (int64_t j = 0; j < N; ++j)
    for (int64_t k = 0; k < K; ++k) b[k * N + j] = w_nk[j * K + k];
  return b;
}

TEST(BsrGemm, RandomShapesAndEpilogues) {
  std::mt19937 rng(21);
  const int64_t rows[] = {1, 2, 7, 8, 9, 33, 65};
  for (int it = 0; it < 200; ++it) {
    const int64_t M = rows[rng() % std::size(rows)], N = 1 + rng() % 23, K = 1 + rng() % 70;
    const bool trans_b = rng() % 2;
    const float alpha = rng() % 2 ? 1.0f : 0.75f;
    const float beta = rng() % 3 == 0 ? 0.5f : 0.0f;
    const int64_t lda = K + rng() % 3, ldy = N + rng() % 3;
    auto a = random_floats(rng, M * lda);
    const double density = (rng() % 5) / 4.0;
    auto b = rng() % 3 ? block_pruned_b(rng, trans_b, K, N, density)
                       : random_sparse(rng, K * N, density);
    auto y0 = random_floats(rng, M * ldy);
    const RandomGemmEpilogue random_epi(rng, M, N);
    const GemmEpilogue& epi = random_epi.epi;
    const int threads = 1 + rng() % 2;
    std::vector<float> ref = y0, got = y0;
    sgemm_reference(false, trans_b, M, N, K, alpha, a.data(), lda, b.data(), trans_b ? K : N, beta,
                    ref.data(), ldy, epi, nullptr);
    BsrGemm(trans_b, K, N, b.data(), alpha)
        .run(M, a.data(), lda, got.data(), ldy, epi, beta, sparse_test_pool(threads));
    const float tol = sum_tolerance(ref, K);
    for (int64_t i = 0; i < M * ldy; ++i)
      ASSERT_NEAR(got[i], ref[i], tol)
          << "at " << i << " M=" << M << " N=" << N << " K=" << K << " trans_b=" << trans_b
          << " beta=" << beta << " threads=" << threads;
  }
}

TEST(BsrGemm, SpansColumnBlocks) {
  std::mt19937 rng(22);
  constexpr int64_t kBlock = BlockedCsr::kColumnBlock;
  for (const int64_t K : {kBlock - 1, kBlock + 1, 2 * kBlock + 37})
    for (const int64_t M : {1, 9}) {
      const int64_t N = 1 + rng() % 13;
      const bool trans_b = rng() % 2;
      auto a = random_floats(rng, M * K);
      auto b = block_pruned_b(rng, trans_b, K, N, 0.2);
      std::vector<float> ref(M * N), got(M * N, NAN);
      sgemm_reference(false, trans_b, M, N, K, 1.0f, a.data(), K, b.data(), trans_b ? K : N, 0.0f,
                      ref.data(), N, {}, nullptr);
      BsrGemm(trans_b, K, N, b.data(), 1.0f)
          .run(M, a.data(), K, got.data(), N, {}, 0.0f, sparse_test_pool(2));
      const float tol = sum_tolerance(ref, K);
      for (int64_t i = 0; i < M * N; ++i)
        ASSERT_NEAR(got[i], ref[i], tol) << "at " << i << " M=" << M << " N=" << N << " K=" << K;
    }
}

TEST(BsrGemm, BlockFillAndBlocks) {
  std::mt19937 rng(23);
  auto blocked = block_pruned_b(rng, true, 50, 12, 0.3);
  EXPECT_EQ(BsrGemm::block_fill(true, 50, 12, blocked.data()), 1.0);
  auto scattered = random_sparse(rng, 50 * 12, 0.1);
  EXPECT_LT(BsrGemm::block_fill(true, 50, 12, scattered.data()), 0.5);
  const std::vector<float> zeros(50 * 12, 0.0f);
  EXPECT_EQ(BsrGemm::block_fill(true, 50, 12, zeros.data()), 1.0);
  // B [K=2, N=5]: output 0 at input 0, outputs 1 and 4 at input 1: blocks (0..3, 0), (0..3, 1),
  // (4, 1).
  const std::vector<float> b = {1, 0, 0, 0, 0, 0, 2, 0, 0, 3};
  EXPECT_EQ(BsrGemm(false, 2, 5, b.data(), 1.0f).blocks(), 3);
}

}  // namespace
}  // namespace sinter::testing
