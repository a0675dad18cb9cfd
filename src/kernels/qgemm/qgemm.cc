// Packing, dispatch and the row-major driver of the integer GEMM.
#include "kernels/qgemm/qgemm.h"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.h"
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

namespace {
// The checks of QPackedWeights' arguments, each failing with one line that says what is wrong.
void check_weight_format(const int8_t* w, int64_t N, int64_t K, int bits, int64_t vector_size,
                         const float* vector_scales) {
  if (bits != 8 && bits != 4)
    throw InputError(cat("integer GEMM weights: ", bits, " bits a weight (4 or 8 are packed)"));
  if (vector_size < 0 || vector_size % kQBlock != 0)
    throw InputError(cat("integer GEMM weights: per-vector scales over vectors of ", vector_size,
                         " k (a vector must be a positive multiple of 16)"));
  if (vector_size > 0 && !vector_scales)
    throw InputError("integer GEMM weights: per-vector weights without their scales");
  if (bits == 4)
    for (int64_t i = 0; i < N * K; ++i)
      if (w[i] < -8 || w[i] > 7)
        throw InputError(cat("integer GEMM weights: W[", i / K, "][", i % K, "] = ", int{w[i]},
                             " is outside [-8, 7], the range of 4-bit weights"));
}
}  // namespace

QPackedWeights::QPackedWeights(const int8_t* w, int64_t N, int64_t K, int bits, int64_t vector_size,
                               const float* vector_scales)
    : N_(N),
      K_(K),
      bits_(bits),
      vector_size_(vector_size),
      column_sums_(static_cast<size_t>(N), 0) {
  check_weight_format(w, N, K, bits, vector_size, vector_scales);
  const int64_t padded_to = vector_size ? vector_size : kQBlock;
  k_blocks_ = (K + padded_to - 1) / padded_to * padded_to / kQBlock;
  const int64_t blocks = (N + kQBlock - 1) / kQBlock, Kp = k_blocks_ * kQBlock;
  const auto layout_of = [&](int64_t g) {
    return detail::QGroupLayout{blocks_in(g) * kQBlock, bits, vector_size};
  };
  int64_t size = 0;
  for (int64_t g = 0; g * kQTileBlocks < blocks; ++g) {
    group_offset_.push_back(size);
    size += layout_of(g).bytes(Kp);
  }
  storage_ = gemm::alloc_aligned_floats((size + 3) / 4);
  std::fill_n(reinterpret_cast<uint8_t*>(storage_.get()), size, uint8_t{0});
  for (int64_t g = 0; g < groups(); ++g) {
    const detail::QGroupLayout layout = layout_of(g);
    const int64_t n0 = g * kQTileBlocks * kQBlock, width = std::min(layout.width, N - n0);
    auto* packed = reinterpret_cast<uint8_t*>(const_cast<int8_t*>(group(g)));
    for (int64_t k = 0; k < K; ++k)
      for (int64_t j = 0; j < width; ++j) {
        const auto value = static_cast<uint8_t>(w[(n0 + j) * K + k]);
        uint8_t& byte = packed[layout.weight_byte(k, j)];
        if (bits == 8) {
          byte = value;
        } else {
          byte |= layout.high_nibble(k) ? (value & 0xf) << 4 : value & 0xf;
        }
      }
    for (int64_t v = 0; v < vectors(); ++v)
      for (int64_t j = 0; j < width; ++j)
        std::memcpy(packed + layout.scale_byte(v, j), vector_scales + (n0 + j) * vectors() + v, 4);
  }
  for (int64_t n = 0; n < N; ++n)
    for (int64_t k = 0; k < K; ++k) {
      column_sums_[static_cast<size_t>(n)] += w[n * K + k];
      max_abs_weight_ = std::max(max_abs_weight_, std::abs(int{w[n * K + k]}));
    }
  if (vector_size == 0) return;
  scaled_column_sums_.assign(static_cast<size_t>(N), 0.0);
  for (int64_t n = 0; n < N; ++n)
    for (int64_t v = 0; v < vectors(); ++v) {
      int64_t sum = 0;
      for (int64_t k = v * vector_size; k < std::min(K, (v + 1) * vector_size); ++k)
        sum += w[n * K + k];
      scaled_column_sums_[static_cast<size_t>(n)] +=
          static_cast<double>(vector_scales[n * vectors() + v]) * static_cast<double>(sum);
    }
}

int QPackedWeights::blocks_in(int64_t g) const {
  const int64_t blocks = (N_ + kQBlock - 1) / kQBlock;
  return static_cast<int>(std::min<int64_t>(kQTileBlocks, blocks - g * kQTileBlocks));
}

const int8_t* QPackedWeights::group(int64_t g) const {
  return reinterpret_cast<const int8_t*>(storage_.get()) + group_offset_[static_cast<size_t>(g)];
}

QTile QPackedWeights::tile_over(int64_t g) const {
  QTile t{};
  t.k_blocks = k_blocks_;
  t.w = group(g);
  t.blocks = blocks_in(g);
  t.max_abs_weight = max_abs_weight_;
  t.weight_bits = bits_;
  t.vector_blocks = vector_size_ / kQBlock;
  return t;
}

float QPackedWeights::scaled_zero_point_share(int64_t n, int32_t a_zero_point) const {
  SINTER_CHECK(vector_size_ > 0, "scaled_zero_point_share of weights without per-vector scales");
  return static_cast<float>(a_zero_point * scaled_column_sums_[static_cast<size_t>(n)]);
}

namespace {
// Both drivers: row tiles x column groups over the pool, group by group, so that a group's
// weights stay in cache while every row tile reads them. Tiles write whole blocks: s32 sums, and
// the u8 outputs of a group that C's last block cuts short, land in a scratch and are copied out.
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
  // The requantization's per-column arrays padded to whole groups (the padded columns' outputs
  // are dropped).
  std::vector<int32_t> bias;
  std::vector<float> multiplier, scaled_bias;
  if (requant) {
    const auto padded_width = static_cast<size_t>(w.groups() * kWidth);
    bias.assign(padded_width, 0);
    multiplier.assign(padded_width, 0.0f);
    scaled_bias.assign(padded_width, 0.0f);
    std::copy_n(requant->multiplier, N, multiplier.begin());
    if (w.vector_size() > 0) {
      std::copy_n(requant->scaled_bias, N, scaled_bias.begin());
    } else {
      std::copy_n(requant->bias, N, bias.begin());
    }
  }
  const int tile_rows = tier.preferred_rows;
  const int64_t row_tiles = (M + tile_rows - 1) / tile_rows;
  auto task = [&](int64_t i, int) {
    const int64_t g = i / row_tiles, m0 = i % row_tiles * tile_rows, n0 = g * kWidth;
    const int blocks = w.blocks_in(g);
    const int64_t width = std::min<int64_t>(blocks * kQBlock, N - n0);
    const int rows = static_cast<int>(std::min<int64_t>(tile_rows, M - m0));
    QTile t = w.tile_over(g);
    t.a = a + m0 * lda;
    t.a_row_stride = lda;
    t.a_block_stride = kQBlock;
    t.rows = rows;
    if (!requant) {
      int32_t sums[kQTileRows * kWidth];
      t.c = sums;
      t.c_row_stride = kWidth;
      t.c_block_stride = kQBlock;
      tier.tile(t);
      for (int r = 0; r < rows; ++r)
        for (int64_t j = 0; j < width; ++j)
          c[(m0 + r) * N + n0 + j] =
              sums[r * kWidth + j] - a_zero_point * w.column_sums()[static_cast<size_t>(n0 + j)];
      return;
    }
    QRequant q = *requant;
    q.bias = bias.data() + n0;
    q.multiplier = multiplier.data() + n0;
    q.scaled_bias = scaled_bias.data() + n0;
    t.requant = &q;
    t.y_block_stride = t.residual_block_stride = kQBlock;
    uint8_t bytes[kQTileRows * kWidth], residual_bytes[kQTileRows * kWidth];
    const bool whole = width == blocks * kQBlock;
    if (whole) {
      t.y = y + m0 * N + n0;
      t.y_row_stride = N;
      if (residual) {
        t.residual = residual + m0 * N + n0;
        t.residual_row_stride = N;
      }
    } else {
      t.y = bytes;
      t.y_row_stride = kWidth;
      if (residual) {  // read through the same layout: whole blocks, zeros past N
        std::fill_n(residual_bytes, rows * kWidth, uint8_t{0});
        for (int r = 0; r < rows; ++r)
          std::memcpy(residual_bytes + r * kWidth, residual + (m0 + r) * N + n0, width);
        t.residual = residual_bytes;
        t.residual_row_stride = kWidth;
      }
    }
    tier.tile(t);
    if (!whole)
      for (int r = 0; r < rows; ++r) std::memcpy(y + (m0 + r) * N + n0, bytes + r * kWidth, width);
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
  if (w.vector_size() > 0)
    throw InputError(
        "integer GEMM: per-vector weights have no s32 sums to give (use qgemm_requantized)");
  run_tiles(a, M, a_zero_point, w, nullptr, nullptr, c, nullptr, pool, tier);
}

void qgemm_requantized(const uint8_t* a, int64_t M, const QPackedWeights& w,
                       const QRequant& requant, uint8_t* y, const uint8_t* residual,
                       ThreadPool* pool, const QGemmKernels& tier) {
  if (w.vector_size() > 0 && !requant.scaled_bias)
    throw InputError("integer GEMM: per-vector weights requantize with a scaled_bias, none given");
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

void qgemm_vector_requantized_reference(const uint8_t* a, int64_t M, int64_t K, const int8_t* w,
                                        int64_t N, int64_t vector_size, const float* scales,
                                        const QRequant& requant, const uint8_t* residual,
                                        uint8_t* y) {
  const int64_t vectors = (K + vector_size - 1) / vector_size;
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n) {
      float facc = 0;
      for (int64_t v = 0; v < vectors; ++v) {
        int32_t sum = 0;
        for (int64_t k = v * vector_size; k < std::min(K, (v + 1) * vector_size); ++k)
          sum += static_cast<int32_t>(a[m * K + k]) * w[n * K + k];
        facc = add_vector_sum(facc, sum, scales[n * vectors + v]);
      }
      const float bias = requant.scaled_bias[n], multiplier = requant.multiplier[n];
      y[m * N + n] =
          residual ? requantize_vector_sums(facc, bias, multiplier, residual[m * N + n], requant)
                   : requantize_vector_sums(facc, bias, multiplier, requant);
    }
}

}  // namespace sinter::kernels
