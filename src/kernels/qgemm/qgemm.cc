// Packing, dispatch and the row-major driver of the integer GEMM.
#include "kernels/qgemm/qgemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/isa.h"
#include "kernels/gemm/sgemm_driver.h"

namespace sinter::kernels {

const IsaTables<QGemmKernels>& qgemm_kernels() {
  static const IsaTables<QGemmKernels> tables = {
      &detail::qgemm_kernels_portable(),
      has_vnni(Isa::kAvx2) ? &detail::qgemm_kernels_avx2_vnni()
                           : &detail::qgemm_kernels_avx2_maddubs(),
      has_vnni(Isa::kAvx512) ? &detail::qgemm_kernels_avx512() : nullptr};
  return tables;
}

QPackedWeights::QPackedWeights(const int8_t* w, int64_t N, int64_t K)
    : N_(N), K_(K), column_sums_(static_cast<size_t>(N), 0) {
  const int64_t blocks = (N + kQBlock - 1) / kQBlock, Kp = k_blocks() * kQBlock;
  int64_t size = 0;
  for (int64_t g = 0; g * kQTileBlocks < blocks; ++g) {
    group_offset_.push_back(size);
    size += Kp * std::min<int64_t>(kQTileBlocks, blocks - g * kQTileBlocks) * kQBlock;
  }
  storage_ = gemm::alloc_aligned_floats((size + 3) / 4);
  std::fill_n(reinterpret_cast<int8_t*>(storage_.get()), size, int8_t{0});
  for (int64_t g = 0; g < groups(); ++g) {
    const int64_t width = blocks_in(g) * kQBlock, n0 = g * kQTileBlocks * kQBlock;
    int8_t* packed = const_cast<int8_t*>(group(g));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < width && n0 + j < N; ++j)
        packed[(k / 4 * width + j) * 4 + k % 4] = w[(n0 + j) * K + k];
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      column_sums_[static_cast<size_t>(n)] += w[n * K + k];
      max_abs_weight_ = std::max(max_abs_weight_, std::abs(int{w[n * K + k]}));
    }
}

int QPackedWeights::blocks_in(int64_t g) const {
  const int64_t blocks = (N_ + kQBlock - 1) / kQBlock;
  return static_cast<int>(std::min<int64_t>(kQTileBlocks, blocks - g * kQTileBlocks));
}

const int8_t* QPackedWeights::group(int64_t g) const {
  return reinterpret_cast<const int8_t*>(storage_.get()) + group_offset_[static_cast<size_t>(g)];
}

namespace {
// Both drivers: row tiles x column groups over the pool. Tiles write whole blocks, and C's last
// block may be narrower, so each tile's results land in a scratch and are copied out. The tasks go
// group by group: a group's packed weights (K x 64 bytes) stay in cache while every row tile
// passes over them, where each weight byte serves only a tile's few rows, and A's rows, read
// again for each group, serve 64 columns each time.
void run_tiles(const uint8_t* a, int64_t M, int32_t a_zero_point, const QPackedWeights& w,
               const QRequant* requant, const uint8_t* residual, int32_t* c, uint8_t* y,
               ThreadPool* pool, const QGemmKernels& tier) {
  const int64_t N = w.N(), K = w.K(), Kp = w.k_blocks() * kQBlock;
  // Rows whose K is not whole blocks of 16 are copied into zero-padded rows.
  std::vector<uint8_t> padded;
  int64_t lda = K;
  if (K != Kp) {
    padded.assign(static_cast<size_t>(M * Kp), 0);
    for (int64_t m = 0; m < M; ++m) std::memcpy(padded.data() + m * Kp, a + m * K, K);
    a = padded.data();
    lda = Kp;
  }
  constexpr int64_t kWidth = kQTileBlocks * kQBlock;
  const int tile_rows = tier.preferred_rows;
  const int64_t row_tiles = (M + tile_rows - 1) / tile_rows;
  auto task = [&](int64_t i, int) {
    const int64_t g = i / row_tiles, m0 = i % row_tiles * tile_rows;
    const int64_t n0 = g * kWidth;
    const int blocks = w.blocks_in(g);
    const int64_t width = std::min<int64_t>(blocks * kQBlock, N - n0);  // columns inside C
    const int rows = static_cast<int>(std::min<int64_t>(tile_rows, M - m0));
    int32_t sums[kQTileRows * kWidth];
    uint8_t bytes[kQTileRows * kWidth], residual_bytes[kQTileRows * kWidth];
    QTile t{a + m0 * lda, lda,  kQBlock, w.k_blocks(), w.group(g),
            blocks,       rows, sums,    kWidth,       kQBlock};
    t.max_abs_weight = w.max_abs_weight();
    // The requantization's per-column arrays from this group's first column, padded to whole
    // blocks (the padded columns' outputs are dropped).
    int32_t bias[kWidth] = {};
    float multiplier[kWidth] = {};
    QRequant q;
    if (requant) {
      std::copy_n(requant->bias + n0, width, bias);
      std::copy_n(requant->multiplier + n0, width, multiplier);
      q = *requant;
      q.bias = bias;
      q.multiplier = multiplier;
      t.requant = &q;
      t.y = bytes;
      t.y_row_stride = kWidth;
      t.y_block_stride = kQBlock;
      if (residual) {  // read through the same layout: whole blocks, zeros past N
        std::fill_n(residual_bytes, rows * kWidth, uint8_t{0});
        for (int r = 0; r < rows; ++r)
          std::memcpy(residual_bytes + r * kWidth, residual + (m0 + r) * N + n0, width);
        t.residual = residual_bytes;
        t.residual_row_stride = kWidth;
        t.residual_block_stride = kQBlock;
      }
    }
    tier.tile(t);
    const int32_t* column_sums = w.column_sums().data() + n0;
    for (int r = 0; r < rows; ++r) {
      if (requant) {
        std::memcpy(y + (m0 + r) * N + n0, bytes + r * kWidth, width);
        continue;
      }
      int32_t* out = c + (m0 + r) * N + n0;
      for (int64_t j = 0; j < width; ++j)
        out[j] = sums[r * kWidth + j] - a_zero_point * column_sums[j];
    }
  };
  const int64_t tasks = row_tiles * w.groups();
  if (pool && pool->num_threads() > 1 && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
}
}  // namespace

void qgemm(const uint8_t* a, int64_t M, int32_t a_zero_point, const QPackedWeights& w, int32_t* c,
           ThreadPool* pool, const QGemmKernels& tier) {
  run_tiles(a, M, a_zero_point, w, nullptr, nullptr, c, nullptr, pool, tier);
}

void qgemm_requantized(const uint8_t* a, int64_t M, const QPackedWeights& w,
                       const QRequant& requant, uint8_t* y, const uint8_t* residual,
                       ThreadPool* pool, const QGemmKernels& tier) {
  run_tiles(a, M, 0, w, &requant, residual, nullptr, y, pool, tier);
}

void qgemm_reference(const uint8_t* a, int64_t M, int64_t K, int32_t a_zero_point, const int8_t* w,
                     int64_t N, int32_t* c) {
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      int32_t sum = 0;
      for (int64_t k = 0; k < K; ++k)
        sum += (static_cast<int32_t>(a[m * K + k]) - a_zero_point) * w[n * K + k];
      c[m * N + n] = sum;
    }
}

void qgemm_requantized_reference(const uint8_t* a, int64_t M, int64_t K, const int8_t* w, int64_t N,
                                 const QRequant& requant, const uint8_t* residual, uint8_t* y) {
  std::vector<int32_t> sums(static_cast<size_t>(M * N));
  qgemm_reference(a, M, K, 0, w, N, sums.data());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      const int32_t sum = sums[static_cast<size_t>(m * N + n)];
      y[m * N + n] = residual
                         ? requantize_value(sum, requant.bias[n], requant.multiplier[n],
                                            residual[m * N + n], requant)
                         : requantize_value(sum, requant.bias[n], requant.multiplier[n], requant);
    }
}

}  // namespace sinter::kernels
