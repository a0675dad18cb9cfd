#pragma once
// The integer GEMM of quantized layers: u8 activations times s8 weights into exact s32 sums,
//   C[m][n] = sum_k (A[m][k] - a_zero_point) * W[n][k],
// with W (a layer's weights, [N][K]) packed once and A read in place: row-major rows, or the
// pixels of a channel-blocked activation (16 channels a block, as kernels/blocked/). A register
// tile is up to 6 rows x 4 blocks of 16 columns; each step multiplies 4 consecutive k of a row
// (one 32-bit broadcast) by the 4 x 16 weights of a block (one 64-byte vector), which is
// AVX-512-VNNI's vpdpbusd. The zero point of A is taken out through the weights' column sums.
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

constexpr int kQTileRows = 6;
constexpr int kQTileBlocks = 4;
constexpr int64_t kQBlock = 16;  // columns a block, and k a row block

// W [N][K] packed per group of up to 4 column blocks: for each k quad, each column of the group,
// 4 consecutive k (zeros past K and N). K is padded to whole blocks of 16.
class QPackedWeights {
 public:
  QPackedWeights(const int8_t* w, int64_t N, int64_t K);
  int64_t N() const { return N_; }
  int64_t K() const { return K_; }
  int64_t k_blocks() const { return (K_ + kQBlock - 1) / kQBlock; }
  int64_t groups() const { return static_cast<int64_t>(group_offset_.size()); }
  int blocks_in(int64_t group) const;
  const int8_t* group(int64_t g) const;
  // sum_k W[n][k], for the zero point of A.
  const std::vector<int32_t>& column_sums() const { return column_sums_; }

 private:
  int64_t N_, K_;
  std::vector<int8_t> storage_;
  std::vector<int64_t> group_offset_;
  std::vector<int32_t> column_sums_;
};

// One register tile: rows [0, rows) of A (row r's k at a[r * a_row_stride + k / 16 *
// a_block_stride + k % 16], readable through whole blocks of 16) times a group's packed weights,
// into C (row r, block b at c[r * c_row_stride + b * c_block_stride], 16 sums).
struct QTile {
  const uint8_t* a;
  int64_t a_row_stride, a_block_stride, k_blocks;
  const int8_t* w;
  int blocks, rows;
  int32_t* c;
  int64_t c_row_stride, c_block_stride;
};

// The kernels of one ISA tier (isa_tables.h). The AVX-512 tier needs AVX-512-VNNI: on a CPU
// without it the table is left out and the tier falls back.
struct QGemmKernels {
  void (*tile)(const QTile& t);
};
const IsaTables<QGemmKernels>& qgemm_kernels();

namespace detail {
const QGemmKernels& qgemm_kernels_portable();
const QGemmKernels& qgemm_kernels_avx512();
}  // namespace detail

// A [M][K] row-major; C [M][N] row-major. Rows are split over `pool` (may be null).
void qgemm(const uint8_t* a, int64_t M, int32_t a_zero_point, const QPackedWeights& w, int32_t* c,
           ThreadPool* pool = nullptr, const QGemmKernels& tier = qgemm_kernels().active());

// The plain loops, W unpacked.
void qgemm_reference(const uint8_t* a, int64_t M, int64_t K, int32_t a_zero_point, const int8_t* w,
                     int64_t N, int32_t* c);

}  // namespace sinter::kernels
