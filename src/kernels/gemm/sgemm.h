#pragma once
// Dense fp32 GEMM: C = act(alpha * op(A) * op(B) + beta * C + bias + residual), with the bias,
// residual and activation fused into the micro-kernel's store so C is written once per K block.
// Constant operands (weights) can be packed once at plan time into the micro-kernel's layout.
#include <cstdint>
#include <memory>

#include "kernels/activation.h"

namespace sinter {

class ThreadPool;

// What the GEMM store adds after alpha*AB + beta*C. All pointers are optional.
struct GemmEpilogue {
  const float* bias_per_row = nullptr;  // M values, added to every column of row i
  const float* bias_per_col = nullptr;  // N values, added to every row of column j
  const float* residual = nullptr;      // M x N, row stride ld_residual
  int64_t ld_residual = 0;
  Activation activation;
};

// C[M x N] (row stride ldc) = act(alpha * op(A) op(B) + beta * C + epilogue terms), where
// op(A) is M x K (A is K x M when trans_a) and op(B) is K x N (B is N x K when trans_b).
// beta == 0 never reads C. pool may be null (runs on the calling thread).
void sgemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
           int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc,
           const GemmEpilogue& epi, ThreadPool* pool);

// The plain triple loop with the same contract; what every optimized path is tested against.
void sgemm_reference(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha,
                     const float* A, int64_t lda, const float* B, int64_t ldb, float beta, float* C,
                     int64_t ldc, const GemmEpilogue& epi, ThreadPool* pool);

namespace gemm {
struct KernelSet;
}

// A constant left operand (M x K after the optional transpose, scaled by alpha) packed for the
// micro-kernel chosen on this CPU. Build once, use from many threads.
class PackedMatrixA {
 public:
  PackedMatrixA(bool trans, int64_t M, int64_t K, const float* A, int64_t lda, float alpha = 1.0f);
  // Adopts `packed`, laid out by pack() (several matrices packed into one prepacked buffer).
  PackedMatrixA(int64_t M, int64_t K, std::shared_ptr<float[]> packed);
  // Floats that pack() writes for an M x K operand on this CPU.
  static int64_t packed_size(int64_t M, int64_t K);
  static void pack(bool trans, int64_t M, int64_t K, const float* A, int64_t lda, float* packed);
  int64_t rows() const { return rows_; }
  int64_t depth() const { return depth_; }
  const float* data() const { return data_.get(); }
  const gemm::KernelSet& kernels() const { return *kernels_; }

 private:
  int64_t rows_, depth_;
  const gemm::KernelSet* kernels_;
  std::shared_ptr<float[]> data_;
};

// A constant right operand (K x N after the optional transpose, scaled by alpha), e.g. a
// fully-connected weight [N, K] with trans = true.
class PackedMatrixB {
 public:
  PackedMatrixB(bool trans, int64_t K, int64_t N, const float* B, int64_t ldb, float alpha = 1.0f);
  int64_t depth() const { return depth_; }
  int64_t cols() const { return cols_; }
  const float* data() const { return data_.get(); }
  const gemm::KernelSet& kernels() const { return *kernels_; }

 private:
  int64_t depth_, cols_;
  const gemm::KernelSet* kernels_;
  std::shared_ptr<float[]> data_;
};

// C[M x N] = act(A * op(B) + beta * C + epilogue) with A prepacked (M = A.rows(), K = A.depth()).
void sgemm_packed(const PackedMatrixA& A, int64_t N, const float* B, int64_t ldb, bool trans_b,
                  float* C, int64_t ldc, const GemmEpilogue& epi, ThreadPool* pool,
                  float beta = 0.0f);

// C[M x N] = act(op(A) * B + beta * C + epilogue) with B prepacked (K = B.depth(), N = B.cols()).
// M = 1 is a GEMV that streams B once at memory bandwidth, split over N across threads.
void sgemm_packed_b(bool trans_a, int64_t M, const float* A, int64_t lda, const PackedMatrixB& B,
                    float* C, int64_t ldc, const GemmEpilogue& epi, ThreadPool* pool,
                    float beta = 0.0f);

}  // namespace sinter
