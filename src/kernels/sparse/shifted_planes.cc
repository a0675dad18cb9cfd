#include "kernels/sparse/shifted_planes.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <vector>

#include "core/thread_pool.h"

namespace sinter {

namespace {
int64_t round_up(int64_t n, int64_t step) { return (n + step - 1) / step * step; }

// A thread's buffer of `floats`, its start on a cache line. It only grows: layers of different
// sizes take turns with it, and each resize up zero-fills the floats it adds (a 90 %-pruned
// ResNet-50 1x1 layer took 0.52 ms in the model so, 0.37 alone, where the buffer never grew).
float* line_aligned(std::vector<float>& buffer, int64_t floats) {
  const auto size = static_cast<size_t>(floats + ShiftedPlanes::kLineFloats);
  if (buffer.size() < size) buffer.resize(size);
  const auto address = reinterpret_cast<uintptr_t>(buffer.data());
  const uintptr_t line = ShiftedPlanes::kLineFloats * sizeof(float);
  return reinterpret_cast<float*>((address + line - 1) / line * line);
}
}  // namespace

bool ShiftedPlanes::supports(const Conv2dShape& s) {
  return s.group == 1 && s.stride_h >= 1 && s.stride_h <= kMaxStride && s.stride_w >= 1 &&
         s.stride_w <= kMaxStride && s.M > 0 && s.OH() > 0 && s.OW() > 0 &&
         s.padded_copy_is_small();
}

ShiftedPlanes::ShiftedPlanes(const Conv2dShape& s, Isa isa, RowTaps row_taps)
    : s_(s), k_(&sparse_kernels().at(isa)) {
  const int64_t hp = s.H + s.pad_top + s.pad_bottom, wp = s.W + s.pad_left + s.pad_right;
  hq_ = (hp + s.stride_h - 1) / s.stride_h;
  // Rows of whole lines align every load, unless that widens a narrow plane by over a quarter
  // (7x7: 16 columns for 9 would double the work).
  const int64_t columns = (wp + s.stride_w - 1) / s.stride_w;
  wq_ = round_up(columns, kLineFloats);
  if (4 * (wq_ - columns) > columns) wq_ = columns;
  // No copy then reads rows below its band.
  row_tap_copies_ = row_taps == RowTaps::kCopied && wq_ % kLineFloats != 0 && s.KH > 1;
  // Else one copy per row phase that a row tap reads: 1x1 kernels at stride 2 read one of two.
  row_copies_ = row_tap_copies_ ? s.KH : std::min(s.stride_h, (s.KH - 1) * s.dilation_h + 1);
  halo_ = row_tap_copies_ ? 0 : (s.KH - 1) * s.dilation_h / s.stride_h;
  // Bands as many rows as the budget holds but at least twice the halo (which every band copies
  // again) and kMinBandTiles; of whole tiles, unless one band takes the whole image.
  // A row's copies and its filters' sums.
  const int64_t row_bytes =
      (s.C * s.KW * row_copies_ + s.M) * wq_ * static_cast<int64_t>(sizeof(float));
  const int64_t fitting = kBandBytes / row_bytes - halo_;
  const int64_t rows = std::max({fitting, 2 * halo_, (kMinBandTiles * kTile + wq_ - 1) / wq_});
  band_rows_ = round_up(rows, kTile / std::gcd(wq_, kTile));
  if (band_rows_ >= s.OH()) band_rows_ = s.OH();
  band_tiles_ = (band_rows_ * wq_ + kTile - 1) / kTile;
  // The last tile of a band reads up to its farthest row tap. An odd number of lines, so that the
  // phases and channels a tile reads start at evenly spread L1 sets: an even count put them on a
  // few sets, whose conflicts cost a third of the rate.
  phase_ = round_up(band_tiles_ * kTile + halo_ * wq_, 2 * kLineFloats) + kLineFloats;
}

int32_t ShiftedPlanes::tap_offset(int64_t c, int64_t ky, int64_t kx) const {
  if (row_tap_copies_)
    return static_cast<int32_t>(c * plane_floats() + (kx * row_copies_ + ky) * phase_);
  const int64_t y = ky * s_.dilation_h;
  const int64_t phase = kx * row_copies_ + y % s_.stride_h;
  return static_cast<int32_t>(c * plane_floats() + phase * phase_ + y / s_.stride_h * wq_);
}

int64_t ShiftedPlanes::l1_channel_block(int64_t tiles) const {
  // Each copy: the pass's flat run and the rows below it.
  const int64_t floats = s_.KW * row_copies_ * (tiles * kTile + halo_ * wq_);
  const int64_t bytes = floats * static_cast<int64_t>(sizeof(float));
  return std::clamp<int64_t>(kL1Bytes / bytes, 1, s_.C);
}

void ShiftedPlanes::fill(const float* image, int64_t oy0, float* dst, int64_t c0,
                         int64_t c1) const {
  const int64_t sh = s_.stride_h, sw = s_.stride_w;
  const int64_t rows = std::min(band_rows_ + halo_, hq_ - oy0);
  for (int64_t c = c0; c < c1; ++c)
    for (int64_t kx = 0; kx < s_.KW; ++kx) {
      // Copy kx holds the column phase its tap reads, moved left by the tap's whole columns:
      // padded column px lands at px / sw - shift when px % sw is that phase.
      const int64_t x = kx * s_.dilation_w, phase = x % sw, shift = x / sw;
      // The first input column of the phase whose place in the copy is not left of it.
      int64_t ix0 = ((phase - s_.pad_left) % sw + sw) % sw;
      while ((ix0 + s_.pad_left) / sw < shift) ix0 += sw;
      const int64_t start = (ix0 + s_.pad_left) / sw - shift;
      const int64_t count = ix0 < s_.W ? (s_.W - ix0 + sw - 1) / sw : 0;
      for (int64_t copy = 0; copy < row_copies_; ++copy) {
        float* plane = dst + c * plane_floats() + (kx * row_copies_ + copy) * phase_;
        // The row phase this copy holds, and the rows it is moved up by (its row tap's).
        const int64_t y = row_tap_copies_ ? copy * s_.dilation_h : copy;
        const int64_t ry = y % sh, shift = row_tap_copies_ ? y / sh : 0;
        // Rows [q0, q1) hold input rows, those above and below are padding.
        auto input_row = [&](int64_t q) { return (oy0 + q + shift) * sh + ry - s_.pad_top; };
        int64_t q0 = 0, q1 = rows;
        while (q0 < q1 && input_row(q0) < 0) ++q0;
        while (q1 > q0 && input_row(q1 - 1) >= s_.H) --q1;
        std::fill(plane, plane + q0 * wq_, 0.0f);
        if (q1 > q0)
          k_->copy_padded_rows(image + (c * s_.H + input_row(q0)) * s_.W + ix0, sh * s_.W, sw,
                               count, start, plane + q0 * wq_, wq_, q1 - q0);
        std::fill(plane + q1 * wq_, plane + phase_, 0.0f);
      }
    }
}

void ShiftedPlanes::run(const float* x, const float* bias, const float* residual,
                        const Activation& act, float* y, ThreadPool* pool, const TileBody& body,
                        int64_t filter_step, int64_t channel_block) const {
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t OH = s_.OH(), plane = OH * s_.OW();
  const int64_t image = s_.C * s_.H * s_.W, out_image = s_.M * plane;
  const int64_t bands = (OH + band_rows_ - 1) / band_rows_;
  const int64_t block = channel_block > 0 ? std::min(channel_block, s_.C) : s_.C;
  const int64_t blocks = (s_.C + block - 1) / block;
  auto tiles_from = [&](int64_t oy0) {
    const int64_t oy1 = std::min(OH, oy0 + band_rows_);
    return ((oy1 - oy0) * wq_ + kTile - 1) / kTile;
  };
  // Filters [m0, m1) of the band from output row oy0 of image n, their sums in flat (filter m0's
  // first).
  auto finish = [&](const float* flat, int64_t n, int64_t oy0, int64_t m0, int64_t m1) {
    const float* res = residual ? residual + n * out_image + m0 * plane : nullptr;
    k_->finish_shifted_planes(s_, wq_, flat, flat_size(), oy0, std::min(OH, oy0 + band_rows_), bias,
                              res, act, y + n * out_image + m0 * plane, m0, m1);
  };
  // Where the (image, band) items go round the threads, each is copied, summed and finished by
  // one thread in its own buffers, with no barrier between the steps.
  if (threads == 1 || std::clamp<int64_t>(2 * threads / (s_.N * bands), 1, s_.M) == 1) {
    auto item = [&](int64_t i, int) {
      const int64_t band = i % bands, n = i / bands, oy0 = band * band_rows_;
      thread_local std::vector<float> padded_buffer, flat_buffer;
      float* padded = line_aligned(padded_buffer, s_.C * plane_floats());
      float* flat = line_aligned(flat_buffer, s_.M * flat_size());
      fill(x + n * image, oy0, padded, 0, s_.C);
      body(padded, flat, 0, tiles_from(oy0), 0, s_.M, 0, blocks);
      finish(flat, n, oy0, 0, s_.M);
    };
    if (threads == 1) {
      for (int64_t i = 0; i < s_.N * bands; ++i) item(i, 0);
    } else {
      pool->parallel_for(s_.N * bands, item);
    }
    return;
  }
  // Too few items: the threads share each band. Split by channel blocks, each thread copies its
  // channels and sums them for all filters, and the partial sums are added before the epilogue:
  // split by filters instead, every thread read the whole band's copies, which outgrow a core's
  // L2 on deep layers (a 512-channel 7x7 pattern layer: 1.25x on two threads). Kernels without
  // channel blocks split the filters (each chunk after the threads copied the band together).
  thread_local std::vector<float> shared_buffer, partial_buffer;  // the calling thread's
  float* padded = line_aligned(shared_buffer, s_.C * plane_floats());
  const int64_t per_chunk = (blocks + threads - 1) / threads;
  const int64_t chunks = (blocks + per_chunk - 1) / per_chunk;
  if (chunks > 1) {
    const int64_t partial_floats = s_.M * flat_size();
    float* partial = line_aligned(partial_buffer, chunks * partial_floats);
    for (int64_t n = 0; n < s_.N; ++n)
      for (int64_t band = 0; band < bands; ++band) {
        const int64_t oy0 = band * band_rows_;
        pool->parallel_for(chunks, [&](int64_t chunk, int) {
          const int64_t b0 = chunk * per_chunk, b1 = std::min(blocks, b0 + per_chunk);
          fill(x + n * image, oy0, padded, b0 * block, std::min(s_.C, b1 * block));
          body(padded, partial + chunk * partial_floats, 0, tiles_from(oy0), 0, s_.M, b0, b1);
        });
        pool->parallel_range(s_.M, 1, [&](int64_t m0, int64_t m1, int) {
          float* sums = partial + m0 * flat_size();
          const int64_t count = (m1 - m0) * flat_size();
          for (int64_t chunk = 1; chunk < chunks; ++chunk) {
            const float* add = sums + chunk * partial_floats;
            for (int64_t i = 0; i < count; ++i) sums[i] += add[i];
          }
          finish(sums, n, oy0, m0, m1);
        });
      }
    return;
  }
  const int64_t filter_chunks = std::clamp<int64_t>(2 * threads / (s_.N * bands), 1, s_.M);
  const int64_t per_filters = round_up((s_.M + filter_chunks - 1) / filter_chunks, filter_step);
  for (int64_t n = 0; n < s_.N; ++n)
    for (int64_t band = 0; band < bands; ++band) {
      const int64_t oy0 = band * band_rows_;
      pool->parallel_range(
          s_.C, 1, [&](int64_t c0, int64_t c1, int) { fill(x + n * image, oy0, padded, c0, c1); });
      pool->parallel_for(filter_chunks, [&](int64_t chunk, int) {
        const int64_t m0 = chunk * per_filters, m1 = std::min(s_.M, m0 + per_filters);
        if (m0 >= m1) return;
        thread_local std::vector<float> flat_buffer;
        float* flat = line_aligned(flat_buffer, (m1 - m0) * flat_size());
        body(padded, flat, 0, tiles_from(oy0), m0, m1, 0, blocks);
        finish(flat, n, oy0, m0, m1);
      });
    }
}

}  // namespace sinter
