// Weight preparation, the choice of algorithm and the drivers of the integer convolution.
#include "kernels/qconv/qconv2d.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.h"
#include "kernels/integer/round_to_u8.h"
#include "kernels/thread_scratch.h"

namespace sinter::kernels {

const IsaTables<QConvKernels>& qconv_kernels() {
  static const IsaTables<QConvKernels> tables = {&detail::qconv_kernels_portable(),
                                                 &detail::qconv_kernels_avx2(),
                                                 &detail::qconv_kernels_avx512()};
  return tables;
}

int32_t bias_in_sum_units(const QConvQuant& q, const float* bias, int64_t n) {
  if (!bias) return 0;
  const double units = static_cast<double>(q.x_scale) * q.w_scales[static_cast<size_t>(n)];
  const double v = std::nearbyint(static_cast<double>(bias[n]) / units);
  return static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
}

float requant_multiplier(const QConvQuant& q, int64_t n) {
  if (q.vector_size > 0) return requant_ratio(q.x_scale, q.y_scale);
  return requant_ratio(q.x_scale * q.w_scales[static_cast<size_t>(n)], q.y_scale);
}

float scaled_bias(const QConvQuant& q, const float* bias, int64_t n, float zero_point_share) {
  const float units = bias ? static_cast<float>(static_cast<double>(bias[n]) / q.x_scale) : 0.0f;
  return units - zero_point_share;
}

float residual_multiplier(const QConvQuant& q) {
  return q.has_residual ? requant_ratio(q.r_scale, q.y_scale) : 0;
}

namespace {
bool is_depthwise(const Conv2dShape& s) { return s.group == s.C && s.group == s.M && s.group > 1; }

// Largest window whose exact products (|x - zp| <= 255, |w| <= 128) sum below 2^24 in floats.
constexpr int64_t kMaxExactTaps = (int64_t{1} << 24) / (255 * 128);

bool is_direct(const Conv2dShape& s) {
  return s.group == 1 && s.C <= 4 && s.M <= 32 && s.C * s.KH * s.KW <= kMaxExactTaps;
}

// Copies the runs of a gathered window without a call (an image stem's are 21 bytes): 16-byte
// moves, the last one overlapping.
inline void copy_run(uint8_t* dst, const uint8_t* src, int64_t n) {
  if (n >= 16) {
    int64_t i = 0;
    for (; i + 16 <= n; i += 16) std::memcpy(dst + i, src + i, 16);
    if (i < n) std::memcpy(dst + n - 16, src + n - 16, 16);
  } else if (n >= 8) {
    std::memcpy(dst, src, 8);
    std::memcpy(dst + n - 8, src + n - 8, 8);
  } else {
    for (int64_t i = 0; i < n; ++i) dst[i] = src[i];
  }
}

inline void fill_run(uint8_t* dst, uint8_t value, int64_t n) {
  for (int64_t i = 0; i < n; ++i) dst[i] = value;
}

struct GemmTag {};
struct PadTag {};
struct RowsTag {};
}  // namespace

QConv2d::QConv2d(const Conv2dShape& s, const int8_t* w, const float* bias, const QConvQuant& q,
                 Isa isa)
    : s_(s),
      gemm_tier_(&qgemm_kernels().at(isa)),
      conv_tier_(&qconv_kernels().at(isa)),
      x_zero_point_(q.x_zero_point),
      y_zero_point_(q.y_zero_point),
      y_min_(q.y_min),
      y_max_(q.y_max),
      residual_multiplier_(residual_multiplier(q)),
      residual_zero_point_(q.r_zero_point) {
  s.validate();
  if (q.has_residual && !supports_residual(s))
    throw UnsupportedError("integer conv: a depthwise or direct layer takes no fused residual");
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, taps = s.KH * s.KW;
  const int64_t K = taps * Cg, vector_size = q.vector_size;
  const int64_t vectors = vector_size > 0 ? (K + vector_size - 1) / vector_size : 1;
  if (vector_size < 0 || static_cast<int64_t>(q.w_scales.size()) != s.M * vectors)
    throw InputError(cat("integer conv: ", q.w_scales.size(), " weight scales for ", s.M,
                         " output channels of ", vectors, " vectors"));
  multiplier_.resize(static_cast<size_t>(s.M));
  bias_.resize(static_cast<size_t>(s.M));
  for (int64_t n = 0; n < s.M; ++n) {
    multiplier_[static_cast<size_t>(n)] = requant_multiplier(q, n);
    bias_[static_cast<size_t>(n)] = vector_size > 0 ? 0 : bias_in_sum_units(q, bias, n);
  }
  if (is_depthwise(s)) {
    if (vector_size > 0)
      throw UnsupportedError(
          "integer depthwise conv: per-vector scales (one scale a channel only)");
    if (taps > kMaxExactTaps)
      throw UnsupportedError(cat("integer depthwise conv: a ", s.KH, "x", s.KW,
                                 " window is too large for exact sums"));
    algorithm_ = Algorithm::kDepthwise;
    // Strided layers read their input rows from the u8 tensor: at stride 1 each value serves nine
    // taps, and converting it once through memory pays; at stride 2 it serves about two.
    read_bytes_ = conv_tier_->depthwise_bytes_row != nullptr && s.stride_w >= 2;
    row_w_.resize(static_cast<size_t>(taps * s.C));
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t t = 0; t < taps; ++t) row_w_[static_cast<size_t>(t * s.C + c)] = w[c * taps + t];
    // Sums are taken of x - zero point: the bias needs no share of it.
    return;
  }
  if (is_direct(s) && vector_size == 0) {
    algorithm_ = Algorithm::kDirect;
    Mp_ = (s.M + kQBlock - 1) / kQBlock * kQBlock;
    row_w_.assign(static_cast<size_t>(taps * s.C * Mp_), 0.0f);
    for (int64_t m = 0; m < s.M; ++m)
      for (int64_t c = 0; c < s.C; ++c)
        for (int64_t t = 0; t < taps; ++t)
          row_w_[static_cast<size_t>((t * s.C + c) * Mp_ + m)] = w[(m * s.C + c) * taps + t];
    return;
  }
  const bool pointwise = s.KH == 1 && s.KW == 1 && s.stride_h == 1 && s.stride_w == 1 &&
                         s.pad_top == 0 && s.pad_left == 0 && s.pad_bottom == 0 &&
                         s.pad_right == 0 && s.group == 1;
  // In place needs rows of whole tiles: on narrow planes (14x14, 7x7) a row's last short tile
  // costs more than gathering does.
  const bool in_place = s.group == 1 && s.C % kQBlock == 0 && s.OW() >= 20;
  algorithm_ = pointwise ? Algorithm::kPointwise : in_place ? Algorithm::kWindow : Algorithm::kGemm;
  const int bits = q.weight_bits == 4 && s.N * s.OH() * s.OW() < kStreamingRows ? 4 : 8;
  std::vector<int8_t> rows(static_cast<size_t>(Mg * K));
  for (int64_t g = 0; g < s.group; ++g) {
    // [m][c][kh][kw] -> [m][(kh, kw, c)], the order of a gathered window.
    for (int64_t m = 0; m < Mg; ++m)
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t t = 0; t < taps; ++t)
          rows[static_cast<size_t>(m * K + t * Cg + c)] = w[((g * Mg + m) * Cg + c) * taps + t];
    const QPackedWeights& packed =
        packed_.emplace_back(rows.data(), Mg, K, bits, vector_size,
                             vector_size > 0 ? q.w_scales.data() + g * Mg * vectors : nullptr);
    for (int64_t m = 0; m < Mg; ++m) {
      const auto n = static_cast<size_t>(g * Mg + m);
      if (vector_size > 0) {
        scaled_bias_.push_back(
            scaled_bias(q, bias, g * Mg + m, packed.scaled_zero_point_share(m, x_zero_point_)));
      } else {
        bias_[n] -= x_zero_point_ * packed.column_sums()[static_cast<size_t>(m)];
      }
    }
  }
  if (algorithm_ == Algorithm::kWindow) {
    // k block (kh, kw, cb): its 16 channels' offset from the window's first pixel in the padded
    // input; the blocks that pad K to whole vectors (zero weights) read the first.
    const int64_t Wp = s.W + s.pad_left + s.pad_right;
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw)
        for (int64_t cb = 0; cb < s.C / kQBlock; ++cb)
          tap_offsets_.push_back((kh * s.dilation_h * Wp + kw * s.dilation_w) * s.C + cb * kQBlock);
    tap_offsets_.resize(static_cast<size_t>(packed_.front().k_blocks()), 0);
  }
}

bool QConv2d::supports_residual(const Conv2dShape& s) { return !is_depthwise(s) && !is_direct(s); }

void QConv2d::run(const uint8_t* x, uint8_t* y, ThreadPool* pool, const uint8_t* residual) const {
  if (algorithm_ == Algorithm::kDepthwise || algorithm_ == Algorithm::kDirect) {
    run_rows(x, y, pool);
  } else if (algorithm_ == Algorithm::kWindow) {
    run_window(x, y, residual, pool);
  } else {
    run_gemm(x, y, residual, pool);
  }
}

// Rows [0, rows) of A (row r at a + r * lda; k blocks every 16 bytes, or at `offsets`) times the
// weight groups [wg_begin, wg_end) of conv group g, requantized into y's rows (row r at
// y_rows + r * M). A group whose last block is partial goes through a bounce buffer.
void QConv2d::multiply_rows(const uint8_t* a, int64_t lda, const int64_t* offsets, int64_t rows,
                            int64_t g, int64_t wg_begin, int64_t wg_end, uint8_t* y_rows,
                            const uint8_t* residual_rows) const {
  constexpr int64_t kWidth = kQTileBlocks * kQBlock;
  const QGemmKernels& tier = *gemm_tier_;
  const int64_t tile_rows = tier.preferred_rows, Mg = s_.M / s_.group;
  const QPackedWeights& w = packed_[static_cast<size_t>(g)];
  for (int64_t wg = wg_begin; wg < wg_end; ++wg) {
    const int64_t n0 = wg * kWidth;
    const int blocks = w.blocks_in(wg);
    const bool whole = n0 + blocks * kQBlock <= Mg;
    const bool vectors = !scaled_bias_.empty();
    QRequant q{bias_.data() + g * Mg + n0,
               multiplier_.data() + g * Mg + n0,
               y_zero_point_,
               y_min_,
               y_max_,
               residual_multiplier_,
               residual_zero_point_};
    if (vectors) q.scaled_bias = scaled_bias_.data() + g * Mg + n0;
    int32_t bias_tail[kWidth] = {};
    float multiplier_tail[kWidth] = {}, scaled_bias_tail[kWidth] = {};
    QRequant q_tail = q;
    if (!whole) {
      std::copy_n(q.bias, Mg - n0, bias_tail);
      std::copy_n(q.multiplier, Mg - n0, multiplier_tail);
      q_tail.bias = bias_tail;
      q_tail.multiplier = multiplier_tail;
      if (vectors) {
        std::copy_n(q.scaled_bias, Mg - n0, scaled_bias_tail);
        q_tail.scaled_bias = scaled_bias_tail;
      }
    }
    for (int64_t r0 = 0; r0 < rows; r0 += tile_rows) {
      const int rows_here = static_cast<int>(std::min<int64_t>(tile_rows, rows - r0));
      uint8_t bounce[kQTileRows * kWidth], residual_bounce[kQTileRows * kWidth];
      QTile t = w.tile_over(wg);
      t.a = a + r0 * lda;
      t.a_row_stride = lda;
      t.a_block_stride = kQBlock;
      t.rows = rows_here;
      t.a_block_offsets = offsets;
      t.requant = whole ? &q : &q_tail;
      uint8_t* out = y_rows + r0 * s_.M + n0;
      if (whole) {
        t.y = out;
        t.y_row_stride = s_.M;
      } else {
        t.y = bounce;
        t.y_row_stride = kWidth;
      }
      t.y_block_stride = kQBlock;
      if (residual_rows) {
        // Read like y: in place for whole blocks, else copied into a bounce of whole blocks.
        const uint8_t* r = residual_rows + r0 * s_.M + n0;
        if (whole) {
          t.residual = r;
          t.residual_row_stride = s_.M;
        } else {
          for (int k = 0; k < rows_here; ++k)
            std::memcpy(residual_bounce + k * kWidth, r + k * s_.M, static_cast<size_t>(Mg - n0));
          t.residual = residual_bounce;
          t.residual_row_stride = kWidth;
        }
        t.residual_block_stride = kQBlock;
      }
      tier.tile(t);
      if (!whole)
        for (int r = 0; r < rows_here; ++r)
          std::memcpy(out + r * s_.M, bounce + r * kWidth, static_cast<size_t>(Mg - n0));
    }
  }
}

// A window over whole blocks of channels, read where it lies: each tile's rows are consecutive
// pixels of one output row (a_row_stride = stride x C), and each k block one tap's 16 channels
// at a fixed offset (tap_offsets_) in a copy of the input padded with its zero point.
void QConv2d::run_window(const uint8_t* x, uint8_t* y, const uint8_t* residual,
                         ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), C = s.C;
  const int64_t Hp = s.H + s.pad_top + s.pad_bottom, Wp = s.W + s.pad_left + s.pad_right;
  const uint8_t* xp = x;
  if (Hp != s.H || Wp != s.W) {
    auto* buf = reinterpret_cast<uint8_t*>(thread_scratch<PadTag>((s.N * Hp * Wp * C + 3) / 4));
    const auto zero_point = static_cast<uint8_t>(x_zero_point_);
    auto pad_rows = [&](int64_t begin, int64_t end, int) {
      for (int64_t r = begin; r < end; ++r) {
        const int64_t n = r / Hp, h = r % Hp - s.pad_top;
        uint8_t* row = buf + r * Wp * C;
        if (h < 0 || h >= s.H) {
          std::memset(row, zero_point, static_cast<size_t>(Wp * C));
          continue;
        }
        std::memset(row, zero_point, static_cast<size_t>(s.pad_left * C));
        std::memcpy(row + s.pad_left * C, x + (n * s.H + h) * s.W * C,
                    static_cast<size_t>(s.W * C));
        std::memset(row + (s.pad_left + s.W) * C, zero_point, static_cast<size_t>(s.pad_right * C));
      }
    };
    if (pool) {
      pool->parallel_range(s.N * Hp, 8, pad_rows);
    } else {
      pad_rows(0, s.N * Hp, 0);
    }
    xp = buf;
  }
  const int64_t wgroups = packed_.front().groups();
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t rows = s.N * OH;
  int64_t splits = 1;
  while (splits < wgroups && rows * splits < 4 * threads) ++splits;
  const int64_t per_split = (wgroups + splits - 1) / splits;
  // Whole output rows a task: about 96 pixels, over which each weight group stays in cache, but
  // at least two tasks a thread.
  const int64_t rows_per_task =
      std::max<int64_t>(1, std::min<int64_t>((96 + OW - 1) / OW, rows * splits / (2 * threads)));
  const int64_t row_tasks = (rows + rows_per_task - 1) / rows_per_task;
  auto task = [&](int64_t i, int) {
    const int64_t split = i % splits, r0 = i / splits * rows_per_task;
    const int64_t wg_begin = split * per_split, wg_end = std::min(wgroups, wg_begin + per_split);
    for (int64_t wg = wg_begin; wg < wg_end; ++wg)
      for (int64_t r = r0; r < std::min(rows, r0 + rows_per_task); ++r) {
        const int64_t n = r / OH, oh = r % OH;
        const uint8_t* a = xp + ((n * Hp + oh * s.stride_h) * Wp) * C;
        multiply_rows(a, s.stride_w * C, tap_offsets_.data(), OW, 0, wg, wg + 1, y + r * OW * s.M,
                      residual ? residual + r * OW * s.M : nullptr);
      }
  };
  const int64_t tasks = row_tasks * splits;
  if (pool && threads > 1 && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
}

void QConv2d::run_gemm(const uint8_t* x, uint8_t* y, const uint8_t* residual,
                       ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), pixels = s.N * OH * OW;
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group;
  const QPackedWeights& first = packed_.front();
  const int64_t Kp = first.k_blocks() * kQBlock, wgroups = first.groups();
  const int threads = pool ? pool->num_threads() : 1;
  // Chunks of pixels gathered once and multiplied by every weight group; small layers are also
  // split by weight groups so that every thread has work.
  const QGemmKernels& tier = *gemm_tier_;
  const int64_t tile_rows = tier.preferred_rows;
  int64_t chunk = 96;
  while (chunk > tile_rows && (pixels + chunk - 1) / chunk * s.group < 2 * threads) chunk /= 2;
  chunk = std::max<int64_t>(tile_rows, chunk / tile_rows * tile_rows);
  const int64_t chunks = (pixels + chunk - 1) / chunk;
  int64_t splits = 1;
  while (splits < wgroups && chunks * s.group * splits < 2 * threads) ++splits;
  const bool contiguous_taps = s.group == 1 && s.dilation_w == 1;
  const auto zero_point = static_cast<uint8_t>(x_zero_point_);

  auto task = [&](int64_t i, int) {
    const int64_t split = i % splits, g = i / splits % s.group, c0 = i / splits / s.group * chunk;
    const int64_t rows = std::min(chunk, pixels - c0);
    const uint8_t* a;
    int64_t lda;
    // A pointwise row whose channels end inside a block (or a vector) is read through the next
    // pixels' bytes (their weights are zero); rows that would read past the tensor are copied.
    if (algorithm_ == Algorithm::kPointwise && (c0 + rows - 1) * s.C + Kp <= pixels * s.C) {
      a = x + c0 * s.C;
      lda = s.C;
    } else {
      auto* buf = reinterpret_cast<uint8_t*>(thread_scratch<GemmTag>((chunk * Kp + 16 + 3) / 4));
      for (int64_t r = 0; r < rows; ++r) {
        const int64_t p = c0 + r, n = p / (OH * OW), oh = p / OW % OH, ow = p % OW;
        uint8_t* row = buf + r * Kp;
        for (int64_t kh = 0; kh < s.KH; ++kh) {
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          const int64_t iw0 = ow * s.stride_w - s.pad_left;
          if (contiguous_taps && ih >= 0 && ih < s.H) {
            // The row's taps inside the image are one run of channels-last pixels.
            const int64_t kw0 = std::clamp<int64_t>(-iw0, 0, s.KW);
            const int64_t kw1 = std::clamp<int64_t>(s.W - iw0, kw0, s.KW);
            fill_run(row, zero_point, kw0 * Cg);
            copy_run(row + kw0 * Cg, x + ((n * s.H + ih) * s.W + iw0 + kw0) * s.C,
                     (kw1 - kw0) * Cg);
            fill_run(row + kw1 * Cg, zero_point, (s.KW - kw1) * Cg);
            row += s.KW * Cg;
            continue;
          }
          for (int64_t kw = 0; kw < s.KW; ++kw, row += Cg) {
            const int64_t iw = iw0 + kw * s.dilation_w;
            if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) {
              fill_run(row, zero_point, Cg);
            } else {
              copy_run(row, x + ((n * s.H + ih) * s.W + iw) * s.C + g * Cg, Cg);
            }
          }
        }
        // The row's padding to whole blocks or vectors, at least one 16-byte store, which may run
        // into the next row, written after it (the scratch has 16 bytes to spare).
        std::memset(row, 0, static_cast<size_t>(std::max<int64_t>(16, Kp - s.KH * s.KW * Cg)));
      }
      a = buf;
      lda = Kp;
    }
    const int64_t per_split = (wgroups + splits - 1) / splits;
    multiply_rows(a, lda, nullptr, rows, g, split * per_split,
                  std::min(wgroups, (split + 1) * per_split), y + c0 * s.M + g * Mg,
                  residual ? residual + c0 * s.M + g * Mg : nullptr);
  };
  const int64_t tasks = chunks * s.group * splits;
  if (pool && threads > 1 && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
}

void QConv2d::run_rows(const uint8_t* x, uint8_t* y, ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), C = s.C;
  const QConvKernels& tier = *conv_tier_;
  // A thread keeps the converted input rows of its last output rows in a ring of `span` rows,
  // enough to hold one window's rows at once.
  const int64_t span = (s.KH - 1) * s.dilation_h + 1;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t parts = std::min<int64_t>(OH, 4 * threads);
  const QRequant q{bias_.data(), multiplier_.data(), y_zero_point_, y_min_, y_max_};
  auto task = [&](int64_t i, int) {
    const int64_t n = i / parts, part = i % parts;
    const int64_t oh0 = OH * part / parts, oh1 = OH * (part + 1) / parts;
    float* ring = thread_scratch<RowsTag>(span * s.W * C);
    std::vector<int64_t> held(static_cast<size_t>(span), -1);
    std::vector<const float*> rows(static_cast<size_t>(s.KH));
    std::vector<const uint8_t*> byte_rows(static_cast<size_t>(s.KH));
    for (int64_t oh = oh0; oh < oh1; ++oh) {
      for (int64_t kh = 0; kh < s.KH; ++kh) {
        const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
        const bool inside = ih >= 0 && ih < s.H;
        byte_rows[static_cast<size_t>(kh)] = inside ? x + (n * s.H + ih) * s.W * C : nullptr;
        if (!inside || read_bytes_) {
          rows[static_cast<size_t>(kh)] = nullptr;
          continue;
        }
        const auto slot = static_cast<size_t>(ih % span);
        float* row = ring + static_cast<int64_t>(slot) * s.W * C;
        if (held[slot] != ih) {
          tier.convert_row(x + (n * s.H + ih) * s.W * C, s.W * C, x_zero_point_, row);
          held[slot] = ih;
        }
        rows[static_cast<size_t>(kh)] = row;
      }
      if (read_bytes_) {
        tier.depthwise_bytes_row({byte_rows.data(), s.W, C, s.KW, OW, s.stride_w, s.dilation_w,
                                  s.pad_left, row_w_.data(), s.KH, &q, y + ((n * OH) + oh) * OW * C,
                                  x_zero_point_});
      } else if (algorithm_ == Algorithm::kDepthwise) {
        tier.depthwise_row({rows.data(), s.W, C, s.KW, OW, s.stride_w, s.dilation_w, s.pad_left,
                            row_w_.data(), s.KH, &q, y + ((n * OH) + oh) * OW * C});
      } else {
        tier.direct_row({rows.data(), s.W, C, s.KW, OW, s.stride_w, s.dilation_w, s.pad_left,
                         row_w_.data(), s.KH, s.M, Mp_, &q, y + ((n * OH) + oh) * OW * s.M});
      }
    }
  };
  const int64_t tasks = s.N * parts;
  if (pool && threads > 1 && tasks > 1) {
    pool->parallel_for(tasks, task);
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i, 0);
  }
}

namespace {
// The per-vector reference of output (n, oh, ow, m): see qconv2d_reference.
uint8_t vector_output(const Conv2dShape& s, const uint8_t* x, const int8_t* w, const float* bias,
                      const QConvQuant& q, const QRequant& r, int64_t n, int64_t oh, int64_t ow,
                      int64_t m, const uint8_t* residual) {
  const int64_t Cg = s.C / s.group, g = m / (s.M / s.group), K = s.KH * s.KW * Cg;
  const int64_t V = q.vector_size, vectors = (K + V - 1) / V;
  const float* scales = q.w_scales.data() + m * vectors;
  float facc = 0;
  double share = 0;  // as QPackedWeights::scaled_zero_point_share: in double, rounded once
  for (int64_t v = 0; v < vectors; ++v) {
    int32_t sum = 0;
    int64_t weights = 0;
    for (int64_t k = v * V; k < std::min(K, (v + 1) * V); ++k) {
      const int64_t kh = k / (s.KW * Cg), kw = k / Cg % s.KW, c = k % Cg;
      const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
      const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
      const bool inside = ih >= 0 && ih < s.H && iw >= 0 && iw < s.W;
      const int32_t xv =
          inside ? x[((n * s.H + ih) * s.W + iw) * s.C + g * Cg + c] : q.x_zero_point;
      const int8_t wv = w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
      sum += xv * wv;
      weights += wv;
    }
    facc = add_vector_sum(facc, sum, scales[v]);
    share += static_cast<double>(scales[v]) * static_cast<double>(weights);
  }
  const float b = scaled_bias(q, bias, m, static_cast<float>(q.x_zero_point * share));
  const float multiplier = requant_multiplier(q, m);
  return residual ? requantize_vector_sums(facc, b, multiplier, *residual, r)
                  : requantize_vector_sums(facc, b, multiplier, r);
}
}  // namespace

void qconv2d_reference(const Conv2dShape& s, const uint8_t* x, const int8_t* w, const float* bias,
                       const QConvQuant& q, uint8_t* y, const uint8_t* residual) {
  const int64_t OH = s.OH(), OW = s.OW(), Cg = s.C / s.group, Mg = s.M / s.group;
  const QRequant r{nullptr,       nullptr, q.y_zero_point, q.y_min, q.y_max, residual_multiplier(q),
                   q.r_zero_point};
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow)
        for (int64_t m = 0; m < s.M; ++m) {
          const int64_t at = ((n * OH + oh) * OW + ow) * s.M + m;
          if (q.vector_size > 0) {
            y[at] = vector_output(s, x, w, bias, q, r, n, oh, ow, m,
                                  residual ? residual + at : nullptr);
            continue;
          }
          const int64_t g = m / Mg;
          int32_t sum = 0;
          for (int64_t c = 0; c < Cg; ++c)
            for (int64_t kh = 0; kh < s.KH; ++kh)
              for (int64_t kw = 0; kw < s.KW; ++kw) {
                const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                const int32_t xv = x[((n * s.H + ih) * s.W + iw) * s.C + g * Cg + c];
                sum += (xv - q.x_zero_point) * w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
              }
          y[at] = residual ? requantize_value(sum, bias_in_sum_units(q, bias, m),
                                              requant_multiplier(q, m), residual[at], r)
                           : requantize_value(sum, bias_in_sum_units(q, bias, m),
                                              requant_multiplier(q, m), r);
        }
}

}  // namespace sinter::kernels
