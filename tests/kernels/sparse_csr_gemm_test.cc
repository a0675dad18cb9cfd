// CsrGemm (both the gathering and the transposed path) against sgemm_reference on the same
// dense weights, over random shapes, sparsities and epilogues, on every ISA tier with loops of
// its own (isa_tiers.h).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "isa_tiers.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/sparse/csr_gemm.h"
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
    const int64_t lda = K + rng() % 3, ldy = N + rng() % 3, ld_res = N + 1;
    auto a = random_floats(rng, M * lda);
    auto b = random_sparse(rng, K * N, (rng() % 5) / 4.0);
    auto y0 = random_floats(rng, M * ldy), brow = random_floats(rng, M);
    auto bcol = random_floats(rng, N), res = random_floats(rng, M * ld_res);
    GemmEpilogue epi;
    if (rng() % 2) epi.bias_per_col = bcol.data();
    if (rng() % 4 == 0) epi.bias_per_row = brow.data();
    if (rng() % 3 == 0) {
      epi.residual = res.data();
      epi.ld_residual = ld_res;
    }
    epi.activation = random_activation(rng);
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

TEST(CsrGemm, CountsNonzerosOfTheWeight) {
  const std::vector<float> b = {0, 1, 0, 2, 0, 0};  // [K=2, N=3]
  EXPECT_EQ(CsrGemm(false, 2, 3, b.data(), 1.0f).nonzeros(), 2);
}

}  // namespace
}  // namespace sinter::testing
