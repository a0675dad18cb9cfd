// Public GEMM entry points: choose the kernel set of the active ISA tier, describe the operands,
// run.
#include "kernels/gemm/sgemm.h"

#include "core/error.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/prepacked_weights.h"

namespace sinter {
namespace gemm {

const kernels::IsaTables<KernelSet>& kernel_sets() {
  static const kernels::IsaTables<KernelSet> sets{&portable_kernel_set(), &avx2_kernel_set(),
                                                  &avx512_kernel_set()};
  return sets;
}

}  // namespace gemm

void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
           const GemmEpilogue& epi, ThreadPool* pool) {
  SINTER_CHECK(M >= 0 && N >= 0 && K >= 0, "sgemm: negative size ", M, "x", N, "x", K);
  gemm::GemmProblem p;
  p.M = M;
  p.N = N;
  p.K = K;
  p.alpha = alpha;
  p.beta = beta;
  p.a = {nullptr, A, lda, trans_a};
  p.b = {nullptr, nullptr, B, ldb, trans_b};
  p.c = C;
  p.ldc = ldc;
  p.epi = &epi;
  gemm::gemm_parallel(gemm::active_kernel_set(), p, pool);
}

PackedMatrixA::PackedMatrixA(bool trans, int64_t M, int64_t K, const float* A, int64_t lda,
                             float alpha)
    : rows_(M), depth_(K), kernels_(&gemm::active_kernel_set()) {
  SINTER_CHECK(M >= 0 && K >= 0, "PackedMatrixA: negative size ", M, "x", K);
  data_ = kernels::prepacked_floats(gemm::packed_a_size(*kernels_, M, K), [&](float* packed) {
    gemm::pack_a_full(*kernels_, A, lda, trans, M, K, alpha, packed);
  });
}

PackedMatrixA::PackedMatrixA(int64_t M, int64_t K, std::shared_ptr<float[]> packed)
    : rows_(M), depth_(K), kernels_(&gemm::active_kernel_set()), data_(std::move(packed)) {}

int64_t PackedMatrixA::packed_size(int64_t M, int64_t K) {
  return gemm::packed_a_size(gemm::active_kernel_set(), M, K);
}

void PackedMatrixA::pack(bool trans, int64_t M, int64_t K, const float* A, int64_t lda,
                         float* packed) {
  gemm::pack_a_full(gemm::active_kernel_set(), A, lda, trans, M, K, 1.0f, packed);
}

PackedMatrixB::PackedMatrixB(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb,
                             float alpha)
    : depth_(K), cols_(N), kernels_(&gemm::active_kernel_set()) {
  SINTER_CHECK(K >= 0 && N >= 0, "PackedMatrixB: negative size ", K, "x", N);
  data_ = kernels::prepacked_floats(gemm::packed_b_size(*kernels_, K, N), [&](float* packed) {
    gemm::pack_b_full(*kernels_, B, ldb, trans, K, N, alpha, packed);
  });
}

void sgemm_packed(const PackedMatrixA& A, int64_t N, const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, const GemmEpilogue& epi, ThreadPool* pool, float beta) {
  gemm::GemmProblem p;
  p.M = A.rows();
  p.N = N;
  p.K = A.depth();
  p.beta = beta;
  p.a.packed = A.data();
  p.b = {nullptr, nullptr, B, ldb, trans_b};
  p.c = C;
  p.ldc = ldc;
  p.epi = &epi;
  gemm::gemm_parallel(A.kernels(), p, pool);
}

void sgemm_packed_b(bool trans_a, int64_t M, const float* A, int64_t lda, const PackedMatrixB& B,
                    float* C, int64_t ldc, const GemmEpilogue& epi, ThreadPool* pool, float beta) {
  gemm::GemmProblem p;
  p.M = M;
  p.N = B.cols();
  p.K = B.depth();
  p.beta = beta;
  p.a = {nullptr, A, lda, trans_a};
  p.b.packed = B.data();
  p.c = C;
  p.ldc = ldc;
  p.epi = &epi;
  gemm::gemm_parallel(B.kernels(), p, pool);
}

}  // namespace sinter
