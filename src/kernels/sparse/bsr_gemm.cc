// BsrGemm: the blocks in column blocks, and its two loops in plain C++ (one tier: a block's
// kRows multiply-adds are one 4-lane multiply and add, which the baseline instruction set has).
#include "kernels/sparse/bsr_gemm.h"

#include <algorithm>
#include <functional>
#include <limits>

#include "core/error.h"
#include "core/thread_pool.h"
#include "kernels/sparse/blocked_csr.h"
#include "kernels/sparse/csr_gemm.h"

namespace sinter {

namespace {

constexpr int64_t kRows = BsrGemmWeights::kRows;
constexpr int64_t kColumnBlock = BlockedCsr::kColumnBlock;

// W[j][k] = alpha * op(B)[k][j].
struct WeightView {
  bool trans_b;
  int64_t K, N;
  const float* b;
  float operator()(int64_t j, int64_t k) const { return trans_b ? b[j * K + k] : b[k * N + j]; }
  bool block_kept(int64_t r, int64_t k) const {
    for (int64_t j = r * kRows; j < std::min(N, (r + 1) * kRows); ++j)
      if ((*this)(j, k) != 0.0f) return true;
    return false;
  }
};

// Output block rows [r0, r1) of row i of A, summed a column block at a time.
void rows_of_a(const BsrGemmWeights& w, int64_t N, int64_t M, const float* a, int64_t lda, float* y,
               int64_t ldy, const GemmEpilogue& epi, float beta, int64_t r0, int64_t r1) {
  thread_local std::vector<float> sums;
  for (int64_t i = 0; i < M; ++i) {
    sums.assign(static_cast<size_t>((r1 - r0) * kRows), 0.0f);
    for (int64_t b = 0; b < w.column_blocks; ++b) {
      const float* x = a + i * lda + b * kColumnBlock;
      const int32_t* segment = w.segment_begin.data() + b * w.block_rows;
      for (int64_t r = r0; r < r1; ++r) {
        float s[kRows] = {};
        for (int32_t k = segment[r]; k < segment[r + 1]; ++k) {
          const float xk = x[w.col[k]];
          for (int64_t f = 0; f < kRows; ++f) s[f] += w.value[k * kRows + f] * xk;
        }
        for (int64_t f = 0; f < kRows; ++f) sums[(r - r0) * kRows + f] += s[f];
      }
    }
    for (int64_t j = r0 * kRows; j < std::min(N, r1 * kRows); ++j) {
      float* out = y + i * ldy + j;
      *out = finish_gemm_output(epi, beta, sums[j - r0 * kRows], out, i, j);
    }
  }
}

// The same from A transposed (at[k * ld_at + i] = A[i][k]), 32 rows of A at a time.
void transposed_a(const BsrGemmWeights& w, int64_t N, int64_t M, const float* at, int64_t ld_at,
                  float* y, int64_t ldy, const GemmEpilogue& epi, float beta, int64_t r0,
                  int64_t r1) {
  constexpr int64_t kRowsOfA = 32;
  for (int64_t r = r0; r < r1; ++r)
    for (int64_t i0 = 0; i0 < M; i0 += kRowsOfA) {
      float acc[kRows][kRowsOfA] = {};
      const int64_t rows = std::min(kRowsOfA, M - i0);
      for (int64_t b = 0; b < w.column_blocks; ++b) {
        const float* block = at + b * kColumnBlock * ld_at + i0;
        const int32_t* segment = w.segment_begin.data() + b * w.block_rows;
        for (int32_t k = segment[r]; k < segment[r + 1]; ++k) {
          const float* in = block + w.col[k] * ld_at;
          for (int64_t f = 0; f < kRows; ++f) {
            const float wt = w.value[k * kRows + f];
            for (int64_t q = 0; q < rows; ++q) acc[f][q] += wt * in[q];
          }
        }
      }
      for (int64_t j = r * kRows; j < std::min(N, (r + 1) * kRows); ++j)
        for (int64_t i = i0; i < i0 + rows; ++i) {
          float* out = y + i * ldy + j;
          *out = finish_gemm_output(epi, beta, acc[j - r * kRows][i - i0], out, i, j);
        }
    }
}

}  // namespace

double BsrGemm::block_fill(bool trans_b, int64_t K, int64_t N, const float* b) {
  const WeightView w{trans_b, K, N, b};
  int64_t nonzeros = 0, computed = 0;  // of the kept blocks' real outputs
  for (int64_t r = 0; r * kRows < N; ++r) {
    const int64_t j1 = std::min(N, (r + 1) * kRows);
    for (int64_t k = 0; k < K; ++k)
      if (w.block_kept(r, k)) {
        computed += j1 - r * kRows;
        for (int64_t j = r * kRows; j < j1; ++j) nonzeros += w(j, k) != 0.0f;
      }
  }
  return computed == 0 ? 1.0 : static_cast<double>(nonzeros) / static_cast<double>(computed);
}

BsrGemm::BsrGemm(bool trans_b, int64_t K, int64_t N, const float* b, float alpha) : N_(N) {
  const WeightView view{trans_b, K, N, b};
  w_.block_rows = (N + kRows - 1) / kRows;
  w_.cols = K;
  w_.column_blocks = (K + kColumnBlock - 1) / kColumnBlock;
  for (int64_t cb = 0; cb < w_.column_blocks; ++cb)
    for (int64_t r = 0; r < w_.block_rows; ++r) {
      w_.segment_begin.push_back(static_cast<int32_t>(w_.col.size()));
      for (int64_t k = cb * kColumnBlock; k < std::min(K, (cb + 1) * kColumnBlock); ++k) {
        if (!view.block_kept(r, k)) continue;
        w_.col.push_back(static_cast<uint16_t>(k - cb * kColumnBlock));
        for (int64_t j = r * kRows; j < (r + 1) * kRows; ++j)
          w_.value.push_back(j < N ? alpha * view(j, k) : 0.0f);
      }
      SINTER_CHECK(w_.col.size() <= static_cast<size_t>(std::numeric_limits<int32_t>::max()),
                   "BsrGemm: too many blocks for 32-bit offsets");
    }
  w_.segment_begin.push_back(static_cast<int32_t>(w_.col.size()));
}

void BsrGemm::run(int64_t M, const float* a, int64_t lda, float* y, int64_t ldy,
                  const GemmEpilogue& epi, float beta, ThreadPool* pool) const {
  std::function<void(int64_t, int64_t, int)> block_rows;
  thread_local std::vector<float> transposed;  // the caller's; workers only read it
  if (M < CsrGemm::kTransposeRows) {
    block_rows = [&](int64_t r0, int64_t r1, int) {
      rows_of_a(w_, N_, M, a, lda, y, ldy, epi, beta, r0, r1);
    };
  } else {
    const int64_t ld_at = M;
    transpose_rows_of_a(M, w_.cols, a, lda, ld_at, transposed);
    const float* at = transposed.data();
    block_rows = [&, at, ld_at](int64_t r0, int64_t r1, int) {
      transposed_a(w_, N_, M, at, ld_at, y, ldy, epi, beta, r0, r1);
    };
  }
  if (pool && pool->num_threads() > 1 && w_.block_rows > 1) {
    pool->parallel_range(w_.block_rows, 2, block_rows, 4);
  } else {
    block_rows(0, w_.block_rows, 0);
  }
}

}  // namespace sinter
