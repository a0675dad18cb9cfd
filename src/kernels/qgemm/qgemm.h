#pragma once
// The integer GEMM of quantized layers: u8 activations times s8 weights into exact s32 sums,
//   C[m][n] = sum_k (A[m][k] - a_zero_point) * W[n][k],
// with W (a layer's weights, [N][K]) packed once and A read in place: row-major rows, or the
// pixels of a channel-blocked activation (16 channels a block, as kernels/blocked/). A register
// tile is up to 6 rows x 4 blocks of 16 columns; each step multiplies 4 consecutive k of a row
// (one 32-bit broadcast) by the 4 x 16 weights of a block (one 64-byte vector), which is
// AVX-512-VNNI's vpdpbusd (at AVX2, two 32-byte vectors a block). The zero point of A is taken out
// through the weights' column sums.
//
// At AVX2 without AVX-VNNI the product step is vpmaddubsw, whose u8 x s8 pair sums saturate at 16
// bits (2 * 255 * 127 > 32767), then vpmaddwd by ones into 32 bits. Packing records the largest
// |w|: at 64 or less (any int4 or 7-bit weights) a pair sum is at most 2 * 255 * 64 = 32640 and
// that step is exact; above, A's bytes are split into their low 7 bits and their top bit, each
// part's pair sums fit 16 bits, and both parts are widened and added (exact, about twice the work).
//
// Two formats of weights besides s8 with one scale a column (which the requantization's multiplier
// carries):
// - 4-bit weights (values in [-8, 7]) held two a byte, unpacked in the tile: half the bytes to
//   stream, which pays where the weights do not stay in cache (few rows: batch-1 fully connected
//   layers, 7x7 planes);
// - per-vector scales (VS-Quant): a float scale for each column n and each vector v of V
//   consecutive k (V a multiple of 16). The tile sums each vector's products exactly in s32 and
//   adds them up as floats, facc = fma(float(vector sum), scale[n][v], facc) in vector order, then
//   requantizes facc (requantize_vector_sums): one conversion and multiply-add a vector and
//   column, not one a product.
#include <cmath>
#include <cstdint>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/integer/round_to_u8.h"
#include "kernels/isa_tables.h"

namespace sinter::kernels {

constexpr int kQTileRows = 6;
constexpr int kQTileBlocks = 4;
constexpr int64_t kQBlock = 16;  // columns a block, and k a row block

// How a tile turns its column sums into u8 outputs (per column n of the tile):
//   y = clamp(round_half_even(float(sum + bias[n]) * multiplier[n]) + zero_point, lo, hi)
// where bias holds the layer's bias in sum units minus the A zero point's share (a_zero_point *
// column sum), multiplier = a_scale * w_scale[n] / y_scale, and [lo, hi] is the u8 range narrowed
// by a fused ReLU or Clip. The float is clamped to [lo - zero_point, hi - zero_point] before it
// is rounded, so no conversion overflows and the vector and scalar code agree for any value.
// A fused residual Add (a u8 input r of the same shape, zero point residual_zero_point in 0-255,
// residual_multiplier = r_scale / y_scale) joins before the clamp through one fused multiply-add,
//   v = fma(float(r - residual_zero_point), residual_multiplier, float(sum + bias[n]) * mult[n]),
// written out in every tier (std::fma, vfmadd): the compiler contracts a separate multiply and add
// in the tier files, built with FMA, and not in baseline code, so the tiers would differ.
// Per-vector weights requantize their float sums instead (requantize_vector_sums), with
// scaled_bias in place of bias; the weights' scales being the vectors', the multiplier is then
// a_scale / y_scale (any per-column factor left).
struct QRequant {
  const int32_t* bias;
  const float* multiplier;
  int32_t zero_point, lo, hi;
  float residual_multiplier = 0;
  int32_t residual_zero_point = 0;
  // Per-vector weights: per column, the bias in facc's units (scale x sum) less the A zero
  // point's share (QPackedWeights::scaled_zero_point_share).
  const float* scaled_bias = nullptr;
};

// One register tile: rows [0, rows) of A (row r's k at a[r * a_row_stride + k / 16 *
// a_block_stride + k % 16], readable through whole blocks of 16; or, with a_block_offsets, k block
// kb at a + r * a_row_stride + a_block_offsets[kb]: a convolution window's taps read where they
// lie) times a group's packed weights.
// Without `requant` the s32 sums go to c (row r, block b at c[r * c_row_stride + b *
// c_block_stride], 16 sums); with it, the requantized u8 values go to y the same way, and with
// `residual` too, each adds the residual byte at the same place of residual (its own strides,
// read as whole blocks of 16 bytes). A tile takes up to kQTileRows rows at every tier.
struct QTile {
  const uint8_t* a;
  int64_t a_row_stride, a_block_stride, k_blocks;
  const int8_t* w;
  int blocks, rows;
  int32_t* c;
  int64_t c_row_stride, c_block_stride;
  const QRequant* requant = nullptr;  // bias and multiplier start at the tile's first column
  uint8_t* y = nullptr;
  int64_t y_row_stride = 0, y_block_stride = 0;
  const uint8_t* residual = nullptr;
  int64_t residual_row_stride = 0, residual_block_stride = 0;
  int max_abs_weight = 128;  // of w (QPackedWeights::max_abs_weight); 128 when not known
  int weight_bits = 8;       // 8, or 4: two weights a byte (QPackedWeights' layout)
  // Per-vector scales: k blocks a vector (V / 16), whose scale rows follow its weights in w; the
  // tile then needs `requant` (with scaled_bias). 0: one scale a column, in the multiplier.
  int64_t vector_blocks = 0;
  const int64_t* a_block_offsets = nullptr;
};

// W [N][K] packed per group of up to 4 column blocks. A group of `width` columns (whole blocks,
// zeros past N) is rows of width x 4 bytes, 4 bytes a column, 64-byte aligned:
// - s8 weights: each row is a k quad, 4 consecutive k of each column;
// - 4-bit weights: each row holds two k quads, the low nibbles quad 2p and the high nibbles quad
//   2p + 1, two's complement;
// - per-vector scales: behind each vector's weight rows (V / 4 or V / 8 of them) one row of its
//   scales, a float a column, so the tile reads them with aligned loads beside its weights.
// K is padded with zero weights to whole vectors, and to whole blocks of 16 without vectors.
class QPackedWeights {
 public:
  // w: [N][K] s8. bits: 8, or 4 for values in [-8, 7]. vector_size: 0 for one scale a column, or
  // V with vector_scales [N][vectors()] (vector v covers k in [v * V, (v + 1) * V)). Throws
  // InputError for a V that is not a positive multiple of 16, per-vector weights without scales,
  // bits other than 4 and 8, and 4-bit weights out of range.
  QPackedWeights(const int8_t* w, int64_t N, int64_t K, int bits = 8, int64_t vector_size = 0,
                 const float* vector_scales = nullptr);
  int64_t N() const { return N_; }
  int64_t K() const { return K_; }
  // K padded (to whole vectors, or blocks), in blocks of 16: the A rows a tile reads.
  int64_t k_blocks() const { return k_blocks_; }
  int bits() const { return bits_; }
  int64_t vector_size() const { return vector_size_; }  // 0 without per-vector scales
  int64_t vectors() const { return vector_size_ ? k_blocks_ * kQBlock / vector_size_ : 0; }
  int64_t groups() const { return static_cast<int64_t>(group_offset_.size()); }
  int blocks_in(int64_t group) const;
  const int8_t* group(int64_t g) const;
  // A tile over group g: w, blocks, k_blocks and the format's fields set, the rest left zero.
  QTile tile_over(int64_t g) const;
  // sum_k W[n][k], for the zero point of A.
  const std::vector<int32_t>& column_sums() const { return column_sums_; }
  // Per-vector weights: a_zero_point * sum_v scale[n][v] * (sum of W[n][k] over vector v), the
  // share of the A zero point in column n's float sum, which the caller takes out of
  // QRequant::scaled_bias (summed in double, rounded once).
  float scaled_zero_point_share(int64_t n, int32_t a_zero_point) const;
  // The largest |W[n][k]| (0-128): whether vpmaddubsw's 16-bit pair sums are exact.
  int max_abs_weight() const { return max_abs_weight_; }

 private:
  int64_t N_, K_, k_blocks_;
  int bits_;
  int64_t vector_size_;
  std::shared_ptr<float[]> storage_;  // 64-byte aligned bytes (gemm::alloc_aligned_floats)
  std::vector<int64_t> group_offset_;
  std::vector<int32_t> column_sums_;
  std::vector<double> scaled_column_sums_;  // [N] sum_v scale[n][v] * vector sum, per-vector only
  int max_abs_weight_ = 0;
};

// Where k block kb of row 0 starts.
inline const uint8_t* a_block(const QTile& t, int64_t kb) {
  return t.a + (t.a_block_offsets ? t.a_block_offsets[kb] : kb * t.a_block_stride);
}

namespace detail {
// The layout above as byte offsets in one group (of `width` columns), for packing and the portable
// tile: where W[.][k] of column j sits (4-bit: in its byte's high nibble or low), and where the
// scale of vector v, column j does.
struct QGroupLayout {
  int64_t width;
  int bits;
  int64_t vector_size;  // 0: no scale rows

  int64_t row_bytes() const { return width * 4; }
  int64_t weight_rows_a_vector() const { return vector_size * bits / 32; }
  int64_t vector_bytes() const { return (weight_rows_a_vector() + 1) * row_bytes(); }
  int64_t weight_byte(int64_t k, int64_t j) const {
    const int64_t in_vector = vector_size ? k % vector_size : k;
    const int64_t vector_start = vector_size ? k / vector_size * vector_bytes() : 0;
    return vector_start + in_vector * bits / 32 * row_bytes() + j * 4 + k % 4;
  }
  bool high_nibble(int64_t k) const { return bits == 4 && k / 4 % 2 == 1; }
  int64_t scale_byte(int64_t v, int64_t j) const {
    return v * vector_bytes() + weight_rows_a_vector() * row_bytes() + j * 4;
  }
  // A group's bytes for K padded to `k_padded`.
  int64_t bytes(int64_t k_padded) const {
    return vector_size ? k_padded / vector_size * vector_bytes() : k_padded * width * bits / 8;
  }
};

// float(sum + bias) * multiplier, the sum wrapping as the vector add does.
inline float scaled_sum(int32_t sum, int32_t bias, float multiplier) {
  const auto total = static_cast<int32_t>(static_cast<uint32_t>(sum) + static_cast<uint32_t>(bias));
  return static_cast<float>(total) * multiplier;
}

// Clamp to the output range less the zero point, round half to even, add the zero point.
inline uint8_t clamp_and_round(float v, const QRequant& q) {
  const auto lo = static_cast<float>(q.lo - q.zero_point);
  const auto hi = static_cast<float>(q.hi - q.zero_point);
  return round_to_u8(v, lo, hi, q.zero_point);
}

// v + float(residual - residual_zero_point) * residual_multiplier, one fused multiply-add.
inline float add_residual(float v, uint8_t residual, const QRequant& q) {
  const auto r = static_cast<float>(static_cast<int32_t>(residual) - q.residual_zero_point);
  return std::fma(r, q.residual_multiplier, v);
}
}  // namespace detail

// The scalar requantization every tier must agree with, without and with a residual byte.
inline uint8_t requantize_value(int32_t sum, int32_t bias, float multiplier, const QRequant& q) {
  return detail::clamp_and_round(detail::scaled_sum(sum, bias, multiplier), q);
}

inline uint8_t requantize_value(int32_t sum, int32_t bias, float multiplier, uint8_t residual,
                                const QRequant& q) {
  return detail::clamp_and_round(
      detail::add_residual(detail::scaled_sum(sum, bias, multiplier), residual, q), q);
}

// Per-vector weights, the scalar definition every tier follows operation for operation: each
// vector's exact s32 sum joins the column's float sum through one fused multiply-add, vectors in
// order v = 0, 1, ... from facc = 0,
inline float add_vector_sum(float facc, int32_t vector_sum, float scale) {
  return std::fma(static_cast<float>(vector_sum), scale, facc);
}

// then v = (facc + scaled_bias) * multiplier, rounded twice (an add, then a multiply: nothing a
// compiler could fuse), and the clamp, rounding and residual of requantize_value.
inline uint8_t requantize_vector_sums(float facc, float scaled_bias, float multiplier,
                                      const QRequant& q) {
  return detail::clamp_and_round((facc + scaled_bias) * multiplier, q);
}

inline uint8_t requantize_vector_sums(float facc, float scaled_bias, float multiplier,
                                      uint8_t residual, const QRequant& q) {
  return detail::clamp_and_round(
      detail::add_residual((facc + scaled_bias) * multiplier, residual, q), q);
}

// The kernels of one ISA tier (isa_tables.h). The AVX-512 tier needs AVX-512-VNNI: on a CPU
// without it the table is left out and the tier falls back. The AVX2 tier is one of two tables:
// AVX-VNNI's vpdpbusd where the CPU has it (has_vnni(Isa::kAvx2)), else vpmaddubsw.
struct QGemmKernels {
  void (*tile)(const QTile& t);  // any tile of up to kQTileRows rows and kQTileBlocks blocks
  int preferred_rows;            // the rows a tile runs fastest with (at most kQTileRows)
};
const IsaTables<QGemmKernels>& qgemm_kernels();

namespace detail {
const QGemmKernels& qgemm_kernels_portable();
const QGemmKernels& qgemm_kernels_avx2_vnni();
const QGemmKernels& qgemm_kernels_avx2_maddubs();
const QGemmKernels& qgemm_kernels_avx512();
}  // namespace detail

// A [M][K] row-major; C [M][N] row-major. Rows are split over `pool` (may be null).
void qgemm(const uint8_t* a, int64_t M, int32_t a_zero_point, const QPackedWeights& w, int32_t* c,
           ThreadPool* pool = nullptr, const QGemmKernels& tier = qgemm_kernels().active());

// The same, requantized into y [M][N] u8 (requant's bias and multiplier have N entries; its
// bias must already hold the zero point's share), with the residual [M][N] u8 added where given.
// Per-vector weights requantize through requant's scaled_bias (N entries, less the zero point's
// share) instead of its bias; they have no s32 sums, and qgemm throws InputError for them.
void qgemm_requantized(const uint8_t* a, int64_t M, const QPackedWeights& w,
                       const QRequant& requant, uint8_t* y, const uint8_t* residual = nullptr,
                       ThreadPool* pool = nullptr,
                       const QGemmKernels& tier = qgemm_kernels().active());

// The plain loops, W unpacked (any values: the references of s8 and 4-bit weights alike).
void qgemm_reference(const uint8_t* a, int64_t M, int64_t K, int32_t a_zero_point, const int8_t* w,
                     int64_t N, int32_t* c);
// The plain loops requantized through requantize_value (residual may be null).
void qgemm_requantized_reference(const uint8_t* a, int64_t M, int64_t K, const int8_t* w, int64_t N,
                                 const QRequant& requant, const uint8_t* residual, uint8_t* y);
// The plain loops of per-vector weights (scales [N][ceil(K / vector_size)]): each vector's exact
// sum, add_vector_sum in vector order, requantize_vector_sums with requant's scaled_bias and
// multiplier (residual may be null).
void qgemm_vector_requantized_reference(const uint8_t* a, int64_t M, int64_t K, const int8_t* w,
                                        int64_t N, int64_t vector_size, const float* scales,
                                        const QRequant& requant, const uint8_t* residual,
                                        uint8_t* y);

}  // namespace sinter::kernels
