#pragma once
// The blocked GEMM loop nest (BLIS order: NC columns, KC depth, MC rows, then NR x MR tiles)
// over operands that are either strided matrices, prepacked, or packed by a callback (the
// convolution's implicit im2col). Used by sgemm and by the convolution kernels.
#include <cstdint>
#include <memory>

#include "kernels/gemm/sgemm.h"
#include "kernels/gemm/sgemm_kernel.h"

namespace sinter::gemm {

// Packs rows [k0, k0+kc) x columns [n0, n0+nc) of a virtual K x N matrix into ceil(nc/nr)
// slivers of kc x nr floats, zero-padding the last sliver's missing columns.
class BPacker {
 public:
  virtual ~BPacker() = default;
  virtual void pack(int64_t k0, int64_t kc, int64_t n0, int64_t nc, int nr, float* dst) const = 0;
};

struct AOperand {
  const float* packed = nullptr;  // whole matrix in pack_a_full layout, or
  const float* data = nullptr;    // a strided matrix (K x M when trans)
  int64_t ld = 0;
  bool trans = false;
};

struct BOperand {
  const float* packed = nullptr;  // whole matrix in pack_b_full layout, or
  const BPacker* packer = nullptr;
  const float* data = nullptr;  // a strided matrix (N x K when trans)
  int64_t ld = 0;
  bool trans = false;
};

struct GemmProblem {
  int64_t M = 0, N = 0, K = 0;
  float alpha = 1.0f, beta = 0.0f;
  AOperand a;
  BOperand b;
  float* c = nullptr;
  int64_t ldc = 0;
  const GemmEpilogue* epi = nullptr;
};

// The depth of K blocks: at most ks.kc, balanced so no block is much shorter than the others
// (a short last block pays the full cost of loading and storing C for few FMAs).
inline int64_t k_block(const KernelSet& ks, int64_t K) {
  if (K <= ks.kc) return K > 0 ? K : 1;
  const int64_t blocks = (K + ks.kc - 1) / ks.kc;
  return (K + blocks - 1) / blocks;
}

// Floats needed by pack_a_full / pack_b_full.
int64_t packed_a_size(const KernelSet& ks, int64_t M, int64_t K);
int64_t packed_b_size(const KernelSet& ks, int64_t K, int64_t N);
// Packs a whole constant operand, K-block by K-block, each block as the driver reads it.
void pack_a_full(const KernelSet& ks, const float* A, int64_t lda, bool trans, int64_t M, int64_t K,
                 float alpha, float* dst);
void pack_b_full(const KernelSet& ks, const float* B, int64_t ldb, bool trans, int64_t K, int64_t N,
                 float alpha, float* dst);

// Sliver packers for strided operands (A: mr-row slivers, B: nr-column slivers).
void pack_a_block(const float* A, int64_t lda, bool trans, int64_t i0, int64_t mc, int64_t k0,
                  int64_t kc, int mr, float alpha, float* dst);
void pack_b_block(const float* B, int64_t ldb, bool trans, int64_t k0, int64_t kc, int64_t n0,
                  int64_t nc, int nr, float alpha, float* dst);

// Whether gemm_tile reads a strided row-major B in place instead of packing it.
constexpr int64_t kDirectBMaxRows = 64;
bool reads_b_directly(const KernelSet& ks, const GemmProblem& p);

// Computes rows [m0, m1) x columns [n0, n1) of C on the calling thread. m0 is a multiple of mr
// and n0 of nr. Scratch is per thread and reused across calls.
void gemm_tile(const KernelSet& ks, const GemmProblem& p, int64_t m0, int64_t m1, int64_t n0,
               int64_t n1);

// How one GEMM's C is cut into tiles for threads.
struct TileGrid {
  int64_t m_step = 0, n_step = 0;  // multiples of mr / nr
  int64_t m_tiles = 1, n_tiles = 1;
  int64_t count() const { return m_tiles * n_tiles; }
};
// Cuts M x N into at most `tasks` tiles of balanced cost; pack_a / pack_b say whether that
// operand is packed per tile (splitting the other dimension repeats that packing).
TileGrid split_tiles(const KernelSet& ks, int64_t M, int64_t N, int64_t K, int64_t tasks,
                     bool pack_a, bool pack_b);

// Cuts M x N into up to 4 tiles per thread so that the pool, handing them out as threads come
// free, finishes soonest: ragged edges (49 pixels: six full slivers and one row) are weighed at
// their real size, and finer grids pay for repeated packing and for each tile's dispatch.
TileGrid split_balanced(const KernelSet& ks, int64_t M, int64_t N, int64_t K, int threads,
                        bool pack_a, bool pack_b);

// How many tiles a problem of this size is worth splitting into on `threads` threads.
int64_t useful_tasks(int64_t M, int64_t N, int64_t K, int threads);

// Splits one problem across the pool and runs it.
void gemm_parallel(const KernelSet& ks, const GemmProblem& p, ThreadPool* pool);

// 64-byte aligned float storage for packed operands.
std::shared_ptr<float[]> alloc_aligned_floats(int64_t n);

}  // namespace sinter::gemm
