#pragma once
// Integer convolution of quantized layers on channels-last (NHWC) u8 activations with s8 weights,
//   y = requant(sum over the window of (x - x_zero_point) * w, + bias),
// the requantization being kernels/qgemm's (QRequant: a float multiplier per output channel,
// round half to even, the output zero point, a range narrowed by a fused ReLU/Clip). Channels-last
// makes a pixel's channels one row of the integer GEMM:
//  - kPointwise: a 1x1, stride-1, unpadded conv is the GEMM on the input as it stands (with
//    channels that end inside a block of 16, a row reads into the next pixel, whose weights are
//    zero; the tensor's last rows are copied);
//  - kWindow: an ungrouped window over whole blocks of 16 channels on a plane at least 20 pixels
//    wide reads its taps where they lie,
//    in a copy of the input padded with its zero point (so padding adds nothing): a tile's rows
//    are consecutive pixels of one output row, each k block one tap's 16 channels at a fixed
//    offset (implicit GEMM, nothing gathered);
//  - kGemm: any other window (and groups) gathers each pixel's window into a row (the input's
//    zero point in the padding), chunk by chunk in a thread's scratch;
//  - kDepthwise: one channel a group. Each input row is converted once to floats x - x_zero_point,
//    and the window is summed with float multiply-adds: every product is an integer below 2^15
//    and every partial sum below 2^24 for windows up to 514 taps, so the float sums are exact
//    and equal the integer ones (strided layers, where a tier has depthwise_bytes_row, convert
//    each load of the u8 rows instead);
//  - kDirect: an image stem with few input and output channels (at most 4 in, 32 out, 514 taps
//    and channels): the same exact float sums over converted rows, the output channels as vector
//    lanes, where a GEMM's rows of a few bytes would cost more to gather than to multiply.
// A Gemm or MatMul of quantized rows is the 1x1 case on [rows, 1, 1, K].
#include <cstdint>
#include <memory>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"
#include "kernels/isa_tables.h"
#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels {

// The quantization of one layer: its input's and output's, the output range (u8, narrowed by a
// fused activation) and the weights' scales, one per output channel or one per vector.
struct QConvQuant {
  float x_scale = 1;
  int32_t x_zero_point = 0;
  float y_scale = 1;
  int32_t y_zero_point = 0;
  int32_t y_min = 0, y_max = 255;
  std::vector<float> w_scales;  // [M], or per vector [M][ceil(K / vector_size)]
  // Per-vector scales (VS-Quant): vectors of vector_size (a multiple of 16) consecutive k of each
  // output channel's window in (kh, kw, c) order, K = KH * KW * C / group; 0: one scale a channel.
  int64_t vector_size = 0;
  // 4: every weight is in [-8, 7], and is packed two a byte where the weights stream from memory
  // (fewer output pixels than kStreamingRows), where half the bytes pays for the unpacking.
  int weight_bits = 8;
  // A fused residual Add: y = requant(conv + (r - r_zero_point) * r_scale), r a u8 tensor shaped
  // like y (kernels/qgemm's residual term; not for depthwise or direct layers).
  bool has_residual = false;
  float r_scale = 1;
  int32_t r_zero_point = 0;
};

// The requantization of output channel n, which the kernels and the reference share: the bias in
// sum units (x_scale * w_scale units, rounded half to even) and the float multiplier (the ratio of
// scales, capped at 2^32 by kernels/integer/round_to_u8.h). Per-vector
// weights: the multiplier is x_scale / y_scale, and the bias in x_scale units less the input zero
// point's share (QPackedWeights::scaled_zero_point_share), qgemm's scaled_bias.
int32_t bias_in_sum_units(const QConvQuant& q, const float* bias, int64_t n);
float requant_multiplier(const QConvQuant& q, int64_t n);
// The residual's multiplier r_scale / y_scale (capped like the others; 0 without a residual).
float residual_multiplier(const QConvQuant& q);
float scaled_bias(const QConvQuant& q, const float* bias, int64_t n, float zero_point_share);

// Layers with fewer output pixels than this (fully connected layers at small batches) stream their
// weights: 4-bit weights are packed as such there, and widened to s8 elsewhere.
constexpr int64_t kStreamingRows = 16;

// One output row of a depthwise layer over converted input rows (T = float, see above), or over
// the u8 input rows themselves (T = uint8_t: each value converted as it is loaded, the sums taken
// of x * w and the zero point's share, zero_point times the weights of the taps inside the image,
// taken out after; every term an integer below 2^24, so still exact).
template <class T>
struct QDepthwiseRowOf {
  const T* const* rows;  // KH input rows, [W][C] each; null outside the image
  int64_t W, C, KW, OW;
  int64_t stride_w, dilation_w, pad_left;
  const float* w;  // [KH][KW][C]
  int64_t KH;
  const QRequant* requant;  // [C] bias and multiplier
  uint8_t* y;               // [OW][C]
  int32_t zero_point = 0;   // u8 rows: the input's
};
using QDepthwiseRow = QDepthwiseRowOf<float>;
using QDepthwiseBytesRow = QDepthwiseRowOf<uint8_t>;

// One output row of a direct layer: the same rows, weights [KH][KW][C][Mp] with the output
// channels padded to Mp, a multiple of 16.
struct QDirectRow {
  const float* const* rows;
  int64_t W, C, KW, OW;
  int64_t stride_w, dilation_w, pad_left;
  const float* w;
  int64_t KH, M, Mp;
  const QRequant* requant;  // [M] bias and multiplier
  uint8_t* y;               // [OW][M]
};

struct QConvKernels {
  // x [n] u8 -> (x - zero_point) as float.
  void (*convert_row)(const uint8_t* x, int64_t n, int32_t zero_point, float* out);
  void (*depthwise_row)(const QDepthwiseRow& r);
  void (*direct_row)(const QDirectRow& r);
  // Null where a tier has none. Used for strided layers, whose input rows serve few output rows:
  // converting them through memory costs more than converting each load.
  void (*depthwise_bytes_row)(const QDepthwiseBytesRow& r) = nullptr;
};
const IsaTables<QConvKernels>& qconv_kernels();

namespace detail {
const QConvKernels& qconv_kernels_portable();
const QConvKernels& qconv_kernels_avx2();
const QConvKernels& qconv_kernels_avx512();
}  // namespace detail

class QConv2d {
 public:
  enum class Algorithm { kPointwise, kWindow, kGemm, kDepthwise, kDirect };

  // w: s8 [M][C/group][KH][KW]; bias: float [M] in real units (may be null); `isa`: the tier
  // whose kernels run (tests). Throws UnsupportedError for a window too large for exact
  // depthwise sums.
  QConv2d(const Conv2dShape& s, const int8_t* w, const float* bias, const QConvQuant& q,
          Isa isa = active_isa());

  // x: u8 [N][H][W][C]; y and residual (when the quantization has one): u8 [N][OH][OW][M].
  void run(const uint8_t* x, uint8_t* y, ThreadPool* pool, const uint8_t* residual = nullptr) const;
  Algorithm algorithm() const { return algorithm_; }
  // The packed weights' bits (4 or 8) and vector size (0: per channel).
  int packed_bits() const { return packed_.empty() ? 8 : packed_.front().bits(); }
  int64_t vector_size() const { return packed_.empty() ? 0 : packed_.front().vector_size(); }
  // Whether a layer of this shape can take a fused residual Add.
  static bool supports_residual(const Conv2dShape& s);

 private:
  void run_gemm(const uint8_t* x, uint8_t* y, const uint8_t* residual, ThreadPool* pool) const;
  void run_window(const uint8_t* x, uint8_t* y, const uint8_t* residual, ThreadPool* pool) const;
  void multiply_rows(const uint8_t* a, int64_t lda, const int64_t* offsets, int64_t rows, int64_t g,
                     int64_t wg_begin, int64_t wg_end, uint8_t* y_rows,
                     const uint8_t* residual_rows) const;
  // Depthwise and direct layers: output rows over converted input rows.
  void run_rows(const uint8_t* x, uint8_t* y, ThreadPool* pool) const;

  Conv2dShape s_;
  Algorithm algorithm_;
  const QGemmKernels* gemm_tier_;
  const QConvKernels* conv_tier_;
  int32_t x_zero_point_;
  std::vector<QPackedWeights> packed_;  // per conv group: [M/group][KH*KW*C/group], (kh, kw, c)
  std::vector<int64_t> tap_offsets_;    // kWindow: each k block's offset in the padded input
  std::vector<int32_t> bias_;           // [M] in sum units, less the input zero point's share
  std::vector<float> scaled_bias_;      // per-vector weights: [M] (see scaled_bias)
  std::vector<float> multiplier_;       // [M]
  std::vector<float> row_w_;            // depthwise [KH][KW][C]; direct [KH][KW][C][Mp]
  int64_t Mp_ = 0;                      // direct: M padded to 16
  bool read_bytes_ = false;             // depthwise rows read from the u8 input (no conversion)
  int32_t y_zero_point_, y_min_, y_max_;
  float residual_multiplier_ = 0;  // r_scale / y_scale
  int32_t residual_zero_point_ = 0;
};

// The plain loops: exact int32 sums, then requantize_value (with the residual byte when q has one);
// per-vector weights: each vector's exact sum of u8 inputs (the zero point in the padding) times
// the weights, add_vector_sum in vector order, then requantize_vector_sums.
void qconv2d_reference(const Conv2dShape& s, const uint8_t* x, const int8_t* w, const float* bias,
                       const QConvQuant& q, uint8_t* y, const uint8_t* residual = nullptr);

}  // namespace sinter::kernels
