// Packing of strided operands into the micro-kernel's sliver layout. Portable code: packing is
// memory-bound, and fixed sliver widths let the compiler vectorize the copies.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter::gemm {
namespace {

template <int MR>
void pack_a_t(const float* A, int64_t lda, bool trans, int64_t i0, int64_t mc, int64_t k0,
              int64_t kc, float alpha, float* dst) {
  for (int64_t s = 0; s < mc; s += MR) {
    const int rows = static_cast<int>(std::min<int64_t>(MR, mc - s));
    float* d = dst + (s / MR) * kc * MR;
    if (trans) {  // A(i, k) = A[k * lda + i]: each k step reads MR contiguous floats
      for (int64_t k = 0; k < kc; ++k) {
        const float* src = A + (k0 + k) * lda + i0 + s;
        float* o = d + k * MR;
        if (rows == MR) {
          for (int i = 0; i < MR; ++i) o[i] = alpha * src[i];
        } else {
          for (int i = 0; i < MR; ++i) o[i] = i < rows ? alpha * src[i] : 0.0f;
        }
      }
    } else {  // A(i, k) = A[i * lda + k]: read each row contiguously, write with stride MR
      for (int i = 0; i < rows; ++i) {
        const float* src = A + (i0 + s + i) * lda + k0;
        for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = alpha * src[k];
      }
      for (int i = rows; i < MR; ++i)
        for (int64_t k = 0; k < kc; ++k) d[k * MR + i] = 0.0f;
    }
  }
}

template <int NR>
void pack_b_t(const float* B, int64_t ldb, bool trans, int64_t k0, int64_t kc, int64_t n0,
              int64_t nc, float alpha, float* dst) {
  if (!trans) {
    // B(k, j) = B[k * ldb + j]. Row by row, so the source streams sequentially (sliver by
    // sliver would stride through kc rows at once, defeating prefetch and the TLB).
    const int64_t full = nc / NR * NR;
    for (int64_t k = 0; k < kc; ++k) {
      const float* src = B + (k0 + k) * ldb + n0;
      float* d = dst + k * NR;
      for (int64_t s = 0; s < full; s += NR, d += kc * NR)
        for (int j = 0; j < NR; ++j) d[j] = alpha * src[s + j];
      if (full < nc) {
        for (int j = 0; j < NR; ++j) d[j] = full + j < nc ? alpha * src[full + j] : 0.0f;
      }
    }
    return;
  }
  for (int64_t s = 0; s < nc; s += NR) {
    const int cols = static_cast<int>(std::min<int64_t>(NR, nc - s));
    float* d = dst + (s / NR) * kc * NR;
    // B(k, j) = B[j * ldb + k]: read each column of op(B) contiguously.
    for (int j = 0; j < cols; ++j) {
      const float* src = B + (n0 + s + j) * ldb + k0;
      for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = alpha * src[k];
    }
    for (int j = cols; j < NR; ++j)
      for (int64_t k = 0; k < kc; ++k) d[k * NR + j] = 0.0f;
  }
}

}  // namespace

void pack_a_block(const float* A, int64_t lda, bool trans, int64_t i0, int64_t mc, int64_t k0,
                  int64_t kc, int mr, float alpha, float* dst) {
  switch (mr) {
    case 4:
      return pack_a_t<4>(A, lda, trans, i0, mc, k0, kc, alpha, dst);
    case 6:
      return pack_a_t<6>(A, lda, trans, i0, mc, k0, kc, alpha, dst);
    case 8:
      return pack_a_t<8>(A, lda, trans, i0, mc, k0, kc, alpha, dst);
    case 12:
      return pack_a_t<12>(A, lda, trans, i0, mc, k0, kc, alpha, dst);
    default:
      SINTER_CHECK(false, "no A packer for mr=", mr);
  }
}

void pack_b_block(const float* B, int64_t ldb, bool trans, int64_t k0, int64_t kc, int64_t n0,
                  int64_t nc, int nr, float alpha, float* dst) {
  switch (nr) {
    case 8:
      return pack_b_t<8>(B, ldb, trans, k0, kc, n0, nc, alpha, dst);
    case 16:
      return pack_b_t<16>(B, ldb, trans, k0, kc, n0, nc, alpha, dst);
    case 32:
      return pack_b_t<32>(B, ldb, trans, k0, kc, n0, nc, alpha, dst);
    default:
      SINTER_CHECK(false, "no B packer for nr=", nr);
  }
}

static int64_t round_up(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

int64_t packed_a_size(const KernelSet& ks, int64_t M, int64_t K) {
  return round_up(M, ks.mr) * std::max<int64_t>(K, 1);
}

int64_t packed_b_size(const KernelSet& ks, int64_t K, int64_t N) {
  return round_up(N, ks.nr) * std::max<int64_t>(K, 1);
}

// Layout: K block [pc, pc+kc) starts at pc * round_up(M, mr) and holds the M rows as mr-row
// slivers of kc x mr, exactly what pack_a_block writes for that block.
void pack_a_full(const KernelSet& ks, const float* A, int64_t lda, bool trans, int64_t M, int64_t K,
                 float alpha, float* dst) {
  const int64_t mpad = round_up(M, ks.mr);
  const int64_t kb = k_block(ks, K);
  for (int64_t pc = 0; pc < K; pc += kb) {
    const int64_t kc = std::min(kb, K - pc);
    pack_a_block(A, lda, trans, 0, M, pc, kc, ks.mr, alpha, dst + pc * mpad);
  }
}

void pack_b_full(const KernelSet& ks, const float* B, int64_t ldb, bool trans, int64_t K, int64_t N,
                 float alpha, float* dst) {
  const int64_t npad = round_up(N, ks.nr);
  const int64_t kb = k_block(ks, K);
  for (int64_t pc = 0; pc < K; pc += kb) {
    const int64_t kc = std::min(kb, K - pc);
    pack_b_block(B, ldb, trans, pc, kc, 0, N, ks.nr, alpha, dst + pc * npad);
  }
}

std::shared_ptr<float[]> alloc_aligned_floats(int64_t n) {
  const size_t bytes = round_up(std::max<int64_t>(n, 1) * sizeof(float), 64);
  float* p = static_cast<float*>(std::aligned_alloc(64, bytes));
  if (!p) throw std::bad_alloc();
  return std::shared_ptr<float[]>(p, [](float* q) { std::free(q); });
}

}  // namespace sinter::gemm
