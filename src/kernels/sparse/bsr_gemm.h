#pragma once
// The fully-connected layer of a model pruned in blocks of kRows consecutive outputs at one input
// (`sinter prune --scheme block:4`): Y = act(A W^T + beta * Y + epilogue terms) with W [N x K] in
// block-sparse rows, cut into column blocks as BlockedCsr (16-bit columns within a block). A
// block loads its input once for its kRows outputs (one multiply of 4 lanes), and stores one
// column index for kRows weights. Tested against sgemm_reference with the dense weights.
#include <cstdint>
#include <vector>

#include "kernels/gemm/sgemm.h"

namespace sinter {

class ThreadPool;

struct BsrGemmWeights {
  static constexpr int64_t kRows = 4;  // outputs a block
  int64_t block_rows = 0, cols = 0, column_blocks = 0;
  // column_blocks * block_rows + 1 entries: block row r's blocks in column block b are
  // [segment_begin[b * block_rows + r], segment_begin[b * block_rows + r + 1]).
  std::vector<int32_t> segment_begin;
  std::vector<uint16_t> col;  // each block's column within its column block
  std::vector<float> value;   // kRows weights a block, output order (zero past N)
};

class BsrGemm {
 public:
  // W = alpha * op(B)^T, where op(B) is K x N: B is [K, N], or [N, K] when trans_b.
  BsrGemm(bool trans_b, int64_t K, int64_t N, const float* b, float alpha);
  // The share of the kept blocks' multiply-adds that are on nonzero weights (1 for weights pruned
  // in whole blocks, 1 when all are zero).
  static double block_fill(bool trans_b, int64_t K, int64_t N, const float* b);
  // Y[M x N] (row stride ldy) from A[M x K] (row stride lda); beta == 0 never reads Y.
  void run(int64_t M, const float* a, int64_t lda, float* y, int64_t ldy, const GemmEpilogue& epi,
           float beta, ThreadPool* pool) const;

  int64_t blocks() const { return static_cast<int64_t>(w_.col.size()); }

 private:
  int64_t N_ = 0;
  BsrGemmWeights w_;
};

}  // namespace sinter
