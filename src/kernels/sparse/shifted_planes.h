#pragma once
// The input layout of the sparse convolutions. Every channel is zero-padded and flattened, so
// output (oy, ox) of a filter sits at flat index oy * wq + ox and the input that tap (c, ky, kx)
// multiplies into it at that index plus one fixed offset. A stride s splits each padded plane
// into s x s phases (rows and columns by their remainder mod s), so that in the phase a tap
// reads, consecutive outputs read consecutive inputs again: wq is then a phase's width. A weight is
// then one shifted stream of the planes: a tile of consecutive flat outputs (running across row
// ends) is a few contiguous vector loads per nonzero weight, whatever the sparsity pattern.
// Each column tap kx gets its own copy of the planes it reads, already shifted by its column
// offset, and wq is rounded up to whole 64-byte lines (but in narrow planes, which that would
// widen by over a quarter): every tap's loads are then aligned (in narrow planes, where a
// kernel asks for it, each row tap gets its own copy too). A load
// that straddles two cache lines costs two, and unaligned taps ran the loops at half the rate
// (75 against 149 GFLOP/s from L1, 54 against 86 from L2, AVX-512); the KW-fold copy is cheap
// beside the multiply-adds every input feeds.
// The kernels store their sums in that flat layout; one pass per filter then adds bias and
// residual, applies the activation and drops the wq - OW columns at each row's end (finishing each
// tile as it was computed cost a division and ragged runs per tile and filter: a third of the time
// at batch 1).
// An image goes in bands of output rows, each copied, summed and finished while its copies and
// sums stay in L2: copying whole images sent three times the input through memory, a third of
// the time of VGG-16's first layers.
#include <cstdint>
#include <functional>

#include "kernels/activation.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/sparse_kernels.h"

namespace sinter {

class ThreadPool;

class ShiftedPlanes {
 public:
  // Flat outputs per tile: 8 vectors of 8, each its own accumulator, enough independent FMA
  // chains to hide their latency; 64 was 5-15 % faster than 32 (bench/sparse_bench.cc).
  static constexpr int64_t kTile = 64;

  static constexpr int64_t kMaxStride = 4;
  // Floats in a 64-byte cache line: the alignment of every row, phase and buffer.
  static constexpr int64_t kLineFloats = 16;
  // The bytes of a band's copies and sums: half of the smallest L2 of the machines here (1 MiB).
  static constexpr int64_t kBandBytes = 512 * 1024;
  // Tiles a band at least: the widest passes of the tile loops take 4.
  static constexpr int64_t kMinBandTiles = 4;
  // Ungrouped, strides up to kMaxStride (any padding and dilation), non-empty output.
  static bool supports(const Conv2dShape& s);
  // Whether narrow planes (rows not whole lines) get a copy per row tap, already moved up by its
  // rows, so that every tap's loads are aligned: the pattern kernel on ResNet-18's 7x7 layers ran
  // 1.12x faster so, the CSR and BSR kernels (whose inputs then no longer fit L1) 1.13x and 1.28x
  // slower.
  enum class RowTaps { kShared, kCopied };
  // The copy and epilogue are those of `isa`'s tier (sparse_kernels.h).
  explicit ShiftedPlanes(const Conv2dShape& s, Isa isa = active_isa(),
                         RowTaps row_taps = RowTaps::kShared);

  // Where tap (c, ky, kx) reads relative to the flat output index, in floats.
  int32_t tap_offset(int64_t c, int64_t ky, int64_t kx) const;

  // Input channels whose floats a pass over `tiles` tiles reads fit kL1Bytes (all C at most):
  // a sparse kernel that adds a block of channels for every filter before the next block finds
  // its inputs in L1, where a pass over all channels of a deep layer read them from L2.
  int64_t l1_channel_block(int64_t tiles) const;
  // The L1 of Zen 4 (Zen 5 and the Xeons here: 48 KiB). The CSR kernel on ResNet-50's layers at
  // 90 % zeros, Zen 5: 3x3 256@14 and 512@7 1.1-1.2x faster than with all channels at once, 1x1
  // layers as fast or faster; 32 to 48 KiB alike, 24 KiB slower.
  static constexpr int64_t kL1Bytes = 32 * 1024;

  // Floats per filter in a band's flat sums: whole tiles.
  int64_t flat_size() const { return band_tiles_ * kTile; }

  // The sums of a band's tiles [t0, t1) of filters [m0, m1) over the kernel's channel blocks
  // [b0, b1), written to flat + (m - m0) * flat_size() + t * kTile (at b0; added to after).
  using TileBody = std::function<void(const float* padded, float* flat, int64_t t0, int64_t t1,
                                      int64_t m0, int64_t m1, int64_t b0, int64_t b1)>;
  // y = act(sums + bias + residual) for every image of x (bias and residual may be null): copies
  // each band of each image, calls body over its tiles, filters and channel blocks (of
  // channel_block channels; 0: one block of all), then finishes the band's rows. The images and
  // bands spread over the pool's threads; where they are fewer than the threads, the channel
  // blocks (or, with one block, the filters, in chunks of whole filter_steps but the last).
  void run(const float* x, const float* bias, const float* residual, const Activation& act,
           float* y, ThreadPool* pool, const TileBody& body, int64_t filter_step = 1,
           int64_t channel_block = 0) const;

 private:
  // The copies of a band's rows (output rows from oy0, and the halo below them) of one image's
  // channels [c0, c1).
  void fill(const float* image, int64_t oy0, float* dst, int64_t c0, int64_t c1) const;
  // A channel's floats: row_copies_ copies for each column tap.
  int64_t plane_floats() const { return s_.KW * row_copies_ * phase_; }

  Conv2dShape s_;
  int64_t hq_ = 0;               // a phase's rows (the padded plane's, at stride 1)
  int64_t wq_ = 0;               // a phase's columns, mostly rounded up to whole lines
  bool row_tap_copies_ = false;  // a copy per row tap too (narrow planes), else per row phase
  int64_t row_copies_ = 1;       // copies per column tap: KH, or the row phases read
  int64_t halo_ = 0;             // rows the row taps read below a band
  int64_t band_rows_ = 0;        // output rows a band: whole tiles, or all of them
  int64_t band_tiles_ = 0;       // tiles a band
  int64_t phase_ = 0;  // floats per phase of a band: its rows and halo, an odd count of lines
  const SparseKernels* k_ = nullptr;
};

}  // namespace sinter
