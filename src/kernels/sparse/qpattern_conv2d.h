#pragma once
// Pattern-sparse 3x3 convolution of quantized layers (PatDNN's pattern pruning and int8 in one
// kernel): u8 channels-last activations, s8 weights in which every 3x3 kernel keeps at most 4 taps
// out of a small set of patterns and many kernels are zero, requantized as QConv2d does
// (kernels/qconv/qconv2d.h), bit for bit.
//
// Output pixels are the vector lanes. For a kept kernel of channel c with pattern P, each output
// pixel's 4 tap inputs are 4 bytes of one 32-bit lane of a "tap quad" plane of (c, P), so one
// vpdpbusd adds the kernel's 4 products for 16 pixels (all 64 multiplies useful, where the fp32
// pattern kernel needs 4 broadcasts, 4 loads and 4 FMAs). The quads of a (channel, pattern) pair
// are built once per tile and serve every filter whose kernel on c has pattern P.
//
// Layout, per band of output rows (like ShiftedPlanes): the band's input rows are transposed to
// planes padded with the input's zero point (so padding adds nothing, as in QConv2d), one plane per
// stride phase, rows of Wq = OW + 2 / stride bytes; output pixel (oy, ox) is flat position
// (oy - oy0) * Wq + ox, and each tap reads its phase plane at that position plus a constant. Flat
// positions past OW in a row are computed and dropped. The sums are exact s32: sum of x * w over
// the taps, the zero point's share (x_zero_point times the filter's weight sum) taken out with the
// bias, then requantize_value.
#include <cstdint>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"
#include "kernels/isa_tables.h"
#include "kernels/qconv/qconv2d.h"
#include "kernels/sparse/pattern_masks.h"

namespace sinter::kernels {

inline constexpr int kQPatternMaxPatterns = 16;
// Flat positions a tile: the AVX-512 loop's 4 or 8 accumulators of 16 lanes (8 where a band
// has enough positions to fill them).
inline constexpr int64_t kQPatternSmallTile = 64;
inline constexpr int64_t kQPatternTile = 128;
// Input channels a block: their tap quads for one tile (32 channels x up to 8 patterns x 256 or
// 512 bytes) are read by every filter before the next block's are built. Blocks of 32 ran
// ResNet-18's layers 1.02-1.05x faster than 16 (fewer visits a filter, each with its sums' loads,
// stores and loop exit), and 8 1.04-1.2x slower (bench/sparse_bench.cc, BM_QPatternConv2d).
inline constexpr int64_t kQPatternChannelBlock = 32;

// A (channel, pattern) pair some kernel uses: where its 4 taps read in the band's planes.
struct QPatternPair {
  int32_t tap_offset[kPatternTaps];
};

// One kept kernel: the bytes of its pair's quads in its channel block's scratch (the pair's index
// in the block times one tile of quads), and its 4 weights, tap order, as one 32-bit word.
struct QPatternKernel {
  int32_t quads_offset;
  int32_t weights;
};

// Filters a visit list covers; threads split the filters in whole groups.
inline constexpr int64_t kQPatternFilterGroup = 64;

// One filter's kept kernels [k0, k1) in one channel block.
struct QPatternVisit {
  int32_t filter, k0, k1;
};

struct QPatternWeights {
  std::vector<QPatternPair> pairs;      // in channel order
  std::vector<int32_t> block_pairs;     // channel_blocks + 1 entries into pairs
  std::vector<QPatternKernel> kernels;  // each filter's kept kernels, in channel order
  int64_t channel_blocks = 0;
  int64_t tile = kQPatternTile;  // or kQPatternSmallTile
  // Per (filter group g, channel block b), entries [group_visits[g * channel_blocks + b],
  // group_visits[g * channel_blocks + b + 1]): the group's filters with kernels in the block (all
  // of them in the first and the last block, which start and end the sums), fewest kernels
  // first, so that the loops' exits repeat and are predicted (in filter order, the counts vary
  // at random and nearly every exit was mispredicted).
  std::vector<QPatternVisit> visits;
  std::vector<int32_t> group_visits;
};

// The tier's loops (isa_tables.h). `sums` holds filter m0's sums first, `sums_stride` ints a
// filter, in flat order.
struct QPatternKernels {
  // Channels-last bytes to planes: dst[c * dst_stride + j] = src[j * src_stride + c] for
  // j < n, c < C.
  void (*to_planes)(const uint8_t* src, int64_t src_stride, int64_t n, int64_t C, uint8_t* dst,
                    int64_t dst_stride);
  // The exact sums of flat positions [0, tiles * w.tile) of filters [m0, m1) (whole filter
  // groups but the last) from the band's planes.
  void (*tiles)(const QPatternWeights& w, const uint8_t* planes, int64_t tiles, int64_t m0,
                int64_t m1, int32_t* sums, int64_t sums_stride);
  // Output pixels [0, count) of one row (flat positions from `sums`) of `filters` filters,
  // requantized into y (pixel i at y + i * M) with the residual bytes laid out the same way (null:
  // none); requant's bias and multiplier start at the first filter's.
  void (*finish_row)(const int32_t* sums, int64_t sums_stride, int64_t count, int64_t filters,
                     const QRequant& requant, const uint8_t* residual, int64_t M, uint8_t* y);
};
const IsaTables<QPatternKernels>& qpattern_kernels();

namespace detail {
const QPatternKernels& qpattern_kernels_portable();
const QPatternKernels& qpattern_kernels_avx512();
}  // namespace detail

class QPatternConv2d {
 public:
  // 3x3, ungrouped, stride 1 or 2 in both dims, no dilation; one weight scale a channel (M of
  // them); no kernel with more than 4 nonzero taps and at most kQPatternMaxPatterns 4-tap patterns
  // (kernels with fewer taps join one); band planes of under 2 GiB.
  static bool supports(const Conv2dShape& s, const int8_t* w, const QConvQuant& q);
  // Whether it beats QConv2d at tier `isa`: pattern-sparse enough, wide enough, and a tier with
  // vector code (elsewhere the portable loops run, correct but slow: a plan file may name this
  // kernel on a CPU without AVX-512-VNNI).
  static bool pays(const Conv2dShape& s, const int8_t* w, const QConvQuant& q,
                   Isa isa = active_isa());

  // w: s8 [M][C][3][3]; bias: float [M] in real units (may be null). Throws InputError for
  // weights or a shape `supports` refuses.
  QPatternConv2d(const Conv2dShape& s, const int8_t* w, const float* bias, const QConvQuant& q,
                 Isa isa = active_isa());

  // x: u8 [N][H][W][C]; y and residual (when the quantization has one): u8 [N][OH][OW][M].
  void run(const uint8_t* x, uint8_t* y, ThreadPool* pool, const uint8_t* residual = nullptr) const;

  int64_t patterns() const { return patterns_; }

 private:
  // Fills the phase planes with the input rows that output rows [oy0, oy1) read.
  void fill_planes(const uint8_t* image, int64_t oy0, int64_t oy1, uint8_t* planes) const;
  int64_t phase_bytes() const { return band_.phase_rows * band_.wq; }
  int64_t plane_bytes() const { return s_.stride_h * s_.stride_w * phase_bytes(); }

  // The band geometry: a function of the shape only, so `supports` can check its size.
  struct Band {
    int64_t wq;          // bytes a plane row: OW + 2 / stride
    int64_t tile;        // flat positions a tile
    int64_t rows;        // output rows a band
    int64_t tiles;       // tiles covering a full band's flat positions
    int64_t phase_rows;  // rows a phase plane: the band's, the taps' halo, the last tile's reach
  };
  static Band band_of(const Conv2dShape& s);
  // What supports() asks of the shape and the quantization, the weights aside.
  static bool shape_fits(const Conv2dShape& s, const QConvQuant& q);

  Conv2dShape s_;
  Band band_;
  int64_t patterns_ = 0;
  QPatternWeights w_;
  std::vector<int32_t> bias_;  // [M] in sum units, less the input zero point's share
  std::vector<float> multiplier_;
  int32_t x_zero_point_;
  QRequant requant_;  // the output range and residual; bias and multiplier set per use
  const QPatternKernels* k_;
};

}  // namespace sinter::kernels
