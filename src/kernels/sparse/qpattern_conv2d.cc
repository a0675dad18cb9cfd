// QPatternConv2d: the patterns and pairs of the weights, the band planes, and the split over
// threads. The arithmetic is the tier's: qpattern_conv2d_portable.cc, _avx512.cc.
#include "kernels/sparse/qpattern_conv2d.h"

#include <algorithm>
#include <bit>

#include "core/error.h"
#include "kernels/sparse/pattern_masks.h"
#include "kernels/thread_scratch.h"

namespace sinter::kernels {

const IsaTables<QPatternKernels>& qpattern_kernels() {
  static const IsaTables<QPatternKernels> tables = {
      &detail::qpattern_kernels_portable(), nullptr,
      has_vnni(Isa::kAvx512) ? &detail::qpattern_kernels_avx512() : nullptr};
  return tables;
}

namespace {

// Half of a 1-2 MiB L2: a band's planes and sums stay there between their steps.
constexpr int64_t kBandBytes = 512 * 1024;
// Below 256 input channels the dense integer kernel (over 600 GOP/s) was as fast or faster on
// ResNet-18's layers pruned to 8 patterns and a kernel in 3.6 (BM_QPatternConv2d: 64 channels at
// 56x56 0.87x, stride 2 0.7x, 128 at 28x28 1.0x; 256 at 14x14 0.96-1.13x, 512 at 7x7 1.47x): the
// transposes and quad building cost about what the zeros save there.
constexpr int64_t kMinChannels = 256;

// Each kept kernel's 4-tap pattern: its own taps when it has 4; with fewer, the first 4-tap
// pattern holding them, or its taps completed with the lowest free ones.
struct Patterns {
  std::vector<uint32_t> masks;
  std::vector<int8_t> of_kernel;  // [M * C]: index into masks, -1 for a zero kernel
  bool valid = true;
};

Patterns patterns_of(const Conv2dShape& s, const int8_t* w) {
  Patterns p;
  p.of_kernel.assign(static_cast<size_t>(s.M * s.C), -1);
  std::vector<uint32_t> taps(static_cast<size_t>(s.M * s.C));
  for (int64_t k = 0; k < s.M * s.C; ++k) {
    taps[k] = nonzero_taps(w + k * kKernelTaps);
    if (std::popcount(taps[k]) > kPatternTaps) p.valid = false;
    if (std::popcount(taps[k]) == kPatternTaps &&
        std::find(p.masks.begin(), p.masks.end(), taps[k]) == p.masks.end())
      p.masks.push_back(taps[k]);
  }
  if (!p.valid) return p;
  for (int64_t k = 0; k < s.M * s.C; ++k) {
    const uint32_t mask = taps[k];
    if (mask == 0) continue;
    auto it = std::find_if(p.masks.begin(), p.masks.end(),
                           [&](uint32_t m) { return (m & mask) == mask; });
    if (it == p.masks.end()) {  // never a duplicate: a superset would have been found
      p.masks.push_back(complete_to_four(mask));
      it = p.masks.end() - 1;
    }
    // At most C(9, 4) = 126 distinct masks: the index fits.
    p.of_kernel[k] = static_cast<int8_t>(it - p.masks.begin());
  }
  p.valid = p.masks.size() <= kQPatternMaxPatterns;
  return p;
}

int64_t round_up(int64_t v, int64_t to) { return (v + to - 1) / to * to; }

struct PlanesTag {};
struct SumsTag {};

}  // namespace

QPatternConv2d::Band QPatternConv2d::band_of(const Conv2dShape& s) {
  Band b;
  const int64_t stride = s.stride_h, halo = 2 / stride, OH = s.OH();
  b.wq = s.OW() + halo;
  // The most rows whose planes and sums fit kBandBytes with tiles of `tile` (at least one row).
  auto rows_for = [&](int64_t tile) {
    auto bytes = [&](int64_t rows) {
      const int64_t positions = round_up(rows * b.wq, tile) + (halo + 1) * b.wq;
      return (s.C * stride * stride + s.M * 4) * positions;
    };
    int64_t lo = 1, hi = OH;  // bytes() grows with the rows: bisect
    while (lo < hi) {
      const int64_t mid = lo + (hi - lo + 1) / 2;
      if (bytes(mid) <= kBandBytes) {
        lo = mid;
      } else {
        hi = mid - 1;
      }
    }
    return lo;
  };
  // Tiles of 128 where a band holds several: a band narrower than that would compute a tile mostly
  // past its rows (512 channels at 28x28 kept bands of one 30-wide row in tiles of 128, and ran
  // 2x slower than the dense kernel).
  b.tile = kQPatternSmallTile;
  b.rows = rows_for(b.tile);
  if (b.rows * b.wq >= 4 * kQPatternTile) {
    b.tile = kQPatternTile;
    b.rows = rows_for(b.tile);
  }
  b.tiles = (b.rows * b.wq + b.tile - 1) / b.tile;
  // Rows to read: the band's and the taps' halo; the last tile reads past them (discarded sums).
  b.phase_rows = (b.tiles * b.tile + halo * b.wq + halo + b.wq - 1) / b.wq;
  return b;
}

bool QPatternConv2d::shape_fits(const Conv2dShape& s, const QConvQuant& q) {
  if (s.KH != 3 || s.KW != 3 || s.group != 1 || s.stride_h != s.stride_w ||
      (s.stride_h != 1 && s.stride_h != 2) || s.dilation_h != 1 || s.dilation_w != 1 || s.N < 1 ||
      s.C < 1 || s.M < 1 || s.H < 1 || s.W < 1 || s.OH() < 1 || s.OW() < 1 || q.vector_size != 0 ||
      static_cast<int64_t>(q.w_scales.size()) != s.M || q.x_zero_point < 0 || q.x_zero_point > 255)
    return false;
  const Band b = band_of(s);
  return s.C * s.stride_h * s.stride_w * b.phase_rows * b.wq < (int64_t{1} << 31);
}

bool QPatternConv2d::supports(const Conv2dShape& s, const int8_t* w, const QConvQuant& q) {
  return shape_fits(s, q) && patterns_of(s, w).valid;
}

bool QPatternConv2d::pays(const Conv2dShape& s, const int8_t* w, const QConvQuant& q, Isa isa) {
  return &qpattern_kernels().at(isa) != &detail::qpattern_kernels_portable() &&
         s.C >= kMinChannels && supports(s, w, q) && pattern_sparse_enough(w, s.M * s.C);
}

QPatternConv2d::QPatternConv2d(const Conv2dShape& s, const int8_t* w, const float* bias,
                               const QConvQuant& q, Isa isa)
    : s_(s), x_zero_point_(q.x_zero_point), k_(&qpattern_kernels().at(isa)) {
  const Patterns p = patterns_of(s, w);
  if (!shape_fits(s, q) || !p.valid)
    throw InputError(
        "integer pattern convolution: weights or shape it does not run (3x3, stride 1 or 2, "
        "at most 4 taps a kernel and 16 patterns, a scale a filter)");
  patterns_ = static_cast<int64_t>(p.masks.size());
  band_ = band_of(s);
  w_.tile = band_.tile;
  const int64_t stride = s.stride_h, tile = band_.tile, wq = band_.wq;

  // The pairs, channel by channel, and where each pattern of a channel sits among them.
  w_.channel_blocks = (s.C + kQPatternChannelBlock - 1) / kQPatternChannelBlock;
  std::vector<int32_t> pair_of(static_cast<size_t>(s.C * patterns_), -1);
  for (int64_t c = 0; c < s.C; ++c) {
    if (c % kQPatternChannelBlock == 0)
      w_.block_pairs.push_back(static_cast<int32_t>(w_.pairs.size()));
    for (int64_t pattern = 0; pattern < patterns_; ++pattern) {
      bool used = false;
      for (int64_t m = 0; m < s.M && !used; ++m) used = p.of_kernel[m * s.C + c] == pattern;
      if (!used) continue;
      pair_of[c * patterns_ + pattern] = static_cast<int32_t>(w_.pairs.size());
      QPatternPair pair{};
      int tap = 0;
      for (int t = 0; t < kKernelTaps; ++t)
        if (p.masks[pattern] & (1u << t)) {
          const int64_t ky = t / 3, kx = t % 3;
          const int64_t phase = ky % stride * stride + kx % stride;
          pair.tap_offset[tap++] = static_cast<int32_t>(c * plane_bytes() + phase * phase_bytes() +
                                                        ky / stride * wq + kx / stride);
        }
      w_.pairs.push_back(pair);
    }
  }
  w_.block_pairs.push_back(static_cast<int32_t>(w_.pairs.size()));

  const int32_t zx = q.x_zero_point;
  std::vector<int32_t> block_begin;  // filter m's kernels of block b from m * blocks + b
  for (int64_t m = 0; m < s.M; ++m) {
    int64_t weight_sum = 0;
    for (int64_t b = 0; b < w_.channel_blocks; ++b) {
      block_begin.push_back(static_cast<int32_t>(w_.kernels.size()));
      const int64_t c1 = std::min(s.C, (b + 1) * kQPatternChannelBlock);
      for (int64_t c = b * kQPatternChannelBlock; c < c1; ++c) {
        const int pattern = p.of_kernel[m * s.C + c];
        if (pattern < 0) continue;
        const int8_t* kernel = w + (m * s.C + c) * kKernelTaps;
        uint32_t word = 0;
        int tap = 0;
        for (int t = 0; t < kKernelTaps; ++t)
          if (p.masks[pattern] & (1u << t)) {
            word |= static_cast<uint32_t>(static_cast<uint8_t>(kernel[t])) << (8 * tap++);
            weight_sum += kernel[t];
          }
        const int64_t in_block = pair_of[c * patterns_ + pattern] - w_.block_pairs[b];
        w_.kernels.push_back(
            {static_cast<int32_t>(in_block * tile * 4), static_cast<int32_t>(word)});
      }
    }
    // As QConv2d: the bias in sum units less the zero point's share, wrapping as its s32 does.
    bias_.push_back(
        static_cast<int32_t>(static_cast<uint32_t>(bias_in_sum_units(q, bias, m)) -
                             static_cast<uint32_t>(static_cast<int32_t>(zx * weight_sum))));
    multiplier_.push_back(requant_multiplier(q, m));
  }
  block_begin.push_back(static_cast<int32_t>(w_.kernels.size()));
  const int64_t blocks = w_.channel_blocks;
  for (int64_t g = 0; g * kQPatternFilterGroup < s.M; ++g)
    for (int64_t b = 0; b < blocks; ++b) {
      w_.group_visits.push_back(static_cast<int32_t>(w_.visits.size()));
      const auto first = static_cast<ptrdiff_t>(w_.visits.size());
      for (int64_t m = g * kQPatternFilterGroup; m < std::min(s.M, (g + 1) * kQPatternFilterGroup);
           ++m) {
        const int32_t k0 = block_begin[m * blocks + b], k1 = block_begin[m * blocks + b + 1];
        if (k0 < k1 || b == 0 || b + 1 == blocks)
          w_.visits.push_back({static_cast<int32_t>(m), k0, k1});
      }
      std::stable_sort(
          w_.visits.begin() + first, w_.visits.end(),
          [](const QPatternVisit& a, const QPatternVisit& b) { return a.k1 - a.k0 < b.k1 - b.k0; });
    }
  w_.group_visits.push_back(static_cast<int32_t>(w_.visits.size()));
  requant_ = QRequant{
      nullptr, nullptr, q.y_zero_point, q.y_min, q.y_max, residual_multiplier(q), q.r_zero_point};
}

void QPatternConv2d::fill_planes(const uint8_t* image, int64_t oy0, int64_t oy1,
                                 uint8_t* planes) const {
  const Conv2dShape& s = s_;
  const int64_t stride = s.stride_h, C = s.C;
  const auto zx = static_cast<uint8_t>(x_zero_point_);
  const int64_t rows = std::min(band_.phase_rows, oy1 - oy0 + 2 / stride + 1);
  for (int64_t c = 0; c < C; ++c)
    for (int64_t phase = 0; phase < stride * stride; ++phase) {
      uint8_t* plane = planes + c * plane_bytes() + phase * phase_bytes();
      std::fill(plane + rows * band_.wq, plane + phase_bytes(), zx);
    }
  for (int64_t ry = 0; ry < stride; ++ry)
    for (int64_t rx = 0; rx < stride; ++rx) {
      // Plane columns [j0, j1) lie inside the image: ix = j * stride + rx - pad_left.
      // (The last one's numerator can be negative: division truncates toward zero.)
      const int64_t j0 =
          std::min(band_.wq, (std::max<int64_t>(0, s.pad_left - rx) + stride - 1) / stride);
      const int64_t last = s.W - 1 + s.pad_left - rx;
      const int64_t j1 = last < 0 ? j0 : std::clamp<int64_t>(last / stride + 1, j0, band_.wq);
      for (int64_t q = 0; q < rows; ++q) {
        const int64_t iy = (oy0 + q) * stride + ry - s.pad_top;
        uint8_t* row = planes + (ry * stride + rx) * phase_bytes() + q * band_.wq;
        const bool inside = iy >= 0 && iy < s.H && j0 < j1;
        for (int64_t c = 0; c < C; ++c) {
          uint8_t* plane_row = row + c * plane_bytes();
          if (!inside) {
            std::fill(plane_row, plane_row + band_.wq, zx);
            continue;
          }
          std::fill(plane_row, plane_row + j0, zx);
          std::fill(plane_row + j1, plane_row + band_.wq, zx);
        }
        if (inside)
          k_->to_planes(image + (iy * s.W + j0 * stride + rx - s.pad_left) * C, stride * C, j1 - j0,
                        C, row + j0, plane_bytes());
      }
    }
}

void QPatternConv2d::run(const uint8_t* x, uint8_t* y, ThreadPool* pool,
                         const uint8_t* residual) const {
  const Conv2dShape& s = s_;
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t OH = s.OH(), OW = s.OW(), M = s.M;
  const int64_t bands = (OH + band_.rows - 1) / band_.rows;
  // Items of (image, band, filter chunk), each filled, summed and requantized by one thread with
  // no barrier between; filters split (in whole groups) only when bands are too few to go round.
  const int64_t groups = (M + kQPatternFilterGroup - 1) / kQPatternFilterGroup;
  const int64_t chunks =
      threads == 1 ? 1 : std::clamp<int64_t>(2 * threads / (s.N * bands), 1, groups);
  const int64_t per_chunk = (groups + chunks - 1) / chunks * kQPatternFilterGroup;
  const int64_t sums_stride = band_.tiles * w_.tile;
  auto item = [&](int64_t i, int) {
    const int64_t chunk = i % chunks, band = i / chunks % bands, n = i / chunks / bands;
    const int64_t m0 = chunk * per_chunk, m1 = std::min(M, m0 + per_chunk);
    if (m0 >= m1) return;
    const int64_t oy0 = band * band_.rows, oy1 = std::min(OH, oy0 + band_.rows);
    auto* planes =
        reinterpret_cast<uint8_t*>(thread_scratch<PlanesTag>((s.C * plane_bytes() + 3) / 4));
    // 16 ints past the last filter's: its last row's finish reads whole vectors.
    auto* sums = reinterpret_cast<int32_t*>(thread_scratch<SumsTag>((m1 - m0) * sums_stride + 16));
    fill_planes(x + n * s.H * s.W * s.C, oy0, oy1, planes);
    k_->tiles(w_, planes, ((oy1 - oy0) * band_.wq + w_.tile - 1) / w_.tile, m0, m1, sums,
              sums_stride);
    QRequant requant = requant_;
    requant.bias = bias_.data() + m0;
    requant.multiplier = multiplier_.data() + m0;
    for (int64_t oy = oy0; oy < oy1; ++oy) {
      const int64_t at = ((n * OH + oy) * OW) * M + m0;
      k_->finish_row(sums + (oy - oy0) * band_.wq, sums_stride, OW, m1 - m0, requant,
                     residual ? residual + at : nullptr, M, y + at);
    }
  };
  const int64_t items = s.N * bands * chunks;
  if (threads == 1) {
    for (int64_t i = 0; i < items; ++i) item(i, 0);
  } else {
    pool->parallel_for(items, item);
  }
}

}  // namespace sinter::kernels
