// BlockedConv2d: weights packed per group of output blocks at plan time, and the work split over
// the pool as (image, pixel range, output group) tasks, pixels outermost, so each thread writes
// and the next layer reads one contiguous part of every block.
#include "kernels/blocked/blocked_conv2d.h"

#include <algorithm>
#include <cstdint>

#include "core/error.h"
#include "kernels/gemm/sgemm_driver.h"
#include "kernels/thread_scratch.h"

namespace sinter {

namespace kernels {
const IsaTables<BlockedConvKernels>& blocked_conv_kernels() {
  static const IsaTables<BlockedConvKernels> tables = {
      &detail::blocked_conv_kernels_portable(), nullptr, &detail::blocked_conv_kernels_avx512()};
  return tables;
}
}  // namespace kernels

namespace {
using kernels::channel_blocks;
using kernels::kChannelBlock;
using kernels::kTileBlocks;
using kernels::kTilePixels;

bool is_depthwise(const Conv2dShape& s) { return s.group > 1 && s.group == s.C && s.M == s.C; }

bool is_unpadded_1x1(const Conv2dShape& s) {
  return s.KH == 1 && s.KW == 1 && s.pad_top == 0 && s.pad_left == 0 && s.pad_bottom == 0 &&
         s.pad_right == 0;
}

int64_t ceil_div(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Calls fn(first, count) for tiles of at most kTilePixels covering [begin, end), sizes as even as
// possible (49 pixels: four of 6 and five of 5, not eight of 6 and a lone one).
template <class Fn>
void for_each_tile(int64_t begin, int64_t end, Fn fn) {
  const int64_t n = end - begin, tiles = ceil_div(n, kTilePixels);
  for (int64_t t = 0, at = begin; t < tiles; ++t) {
    const int64_t count = n / tiles + (t < n % tiles ? 1 : 0);
    fn(at, static_cast<int>(count));
    at += count;
  }
}

// Runs task(i) for i in [0, tasks) on the pool's threads, or here.
template <class Fn>
void run_tasks(int64_t tasks, ThreadPool* pool, Fn task) {
  if (pool && pool->num_threads() > 1 && tasks > 1) {
    pool->parallel_for(tasks, [&](int64_t i, int) { task(i); });
  } else {
    for (int64_t i = 0; i < tasks; ++i) task(i);
  }
}
}  // namespace

bool BlockedConv2d::supports(const Conv2dShape& s) { return s.group == 1 || is_depthwise(s); }

bool BlockedConv2d::vectorized() {
  return active_isa() > Isa::kPortable && kernels::blocked_conv_kernels().has(active_isa());
}

BlockedConv2d::BlockedConv2d(const Conv2dShape& s, bool input_blocked, const float* w,
                             const float* bias, const Activation& act,
                             const kernels::BlockedConvKernels& tier)
    : s_(s), input_blocked_(input_blocked), act_(act), k_(&tier) {
  s_.validate();
  if (!supports(s))
    throw UnsupportedError(cat("blocked conv2d: group ", s.group, " of ", s.C,
                               " channels is neither 1 nor depthwise"));
  const int64_t Mb = channel_blocks(s.M), KK = s.KH * s.KW;
  bias_.assign(static_cast<size_t>(Mb * kChannelBlock), 0.0f);
  if (bias) std::copy(bias, bias + s.M, bias_.begin());
  if (is_depthwise(s)) {
    if (!input_blocked) throw UnsupportedError("blocked conv2d: a depthwise input must be blocked");
    algorithm_ = Algorithm::kDepthwise;
    const int64_t size = Mb * KK * kChannelBlock;
    weights_ = gemm::alloc_aligned_floats(size);
    std::fill_n(weights_.get(), size, 0.0f);
    group_offset_ = {0};
    float* packed = weights_.get();
    for (int64_t c = 0; c < s.C; ++c)
      for (int64_t k = 0; k < KK; ++k)
        packed[(c / kChannelBlock * KK + k) * kChannelBlock + c % kChannelBlock] = w[c * KK + k];
    return;
  }
  algorithm_ = input_blocked && is_unpadded_1x1(s) ? Algorithm::kPointwise : Algorithm::kDirect;
  const int64_t Cin = input_blocked ? channel_blocks(s.C) * kChannelBlock : s.C;
  const int64_t groups = ceil_div(Mb, kTileBlocks);
  int64_t size = 0;
  for (int64_t g = 0; g < groups; ++g) {
    group_offset_.push_back(size);
    size += Cin * KK * std::min<int64_t>(kTileBlocks, Mb - g * kTileBlocks) * kChannelBlock;
  }
  weights_ = gemm::alloc_aligned_floats(size);
  std::fill_n(weights_.get(), size, 0.0f);
  for (int64_t g = 0; g < groups; ++g) {
    const int64_t blocks = std::min<int64_t>(kTileBlocks, Mb - g * kTileBlocks);
    const int64_t width = blocks * kChannelBlock, m0 = g * kTileBlocks * kChannelBlock;
    float* packed = weights_.get() + group_offset_[static_cast<size_t>(g)];
    for (int64_t c = 0; c < std::min(Cin, s.C); ++c)
      for (int64_t k = 0; k < KK; ++k)
        for (int64_t j = 0; j < width && m0 + j < s.M; ++j)
          packed[(c * KK + k) * width + j] = w[((m0 + j) * s.C + c) * KK + k];
  }
  const int64_t plane = s.H * s.W;
  for (int64_t c = 0; c < Cin; ++c)
    channel_offset_.push_back(
        input_blocked ? c / kChannelBlock * plane * kChannelBlock + c % kChannelBlock : c * plane);
}

void BlockedConv2d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  switch (algorithm_) {
    case Algorithm::kPointwise:
      return run_pointwise(x, y, residual, pool);
    case Algorithm::kDepthwise:
      return run_depthwise(x, y, residual, pool);
    case Algorithm::kDirect:
      return run_direct(x, y, residual, pool);
  }
}

void BlockedConv2d::run_pointwise(const float* x, float* y, const float* residual,
                                  ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), Cb = channel_blocks(s.C);
  const int64_t Mb = channel_blocks(s.M), groups = ceil_div(Mb, kTileBlocks);
  const int64_t out_plane = OH * OW * kChannelBlock;
  // Tiles run along runs of pixels at a fixed input stride: the whole plane at stride 1, each
  // output row at a larger stride. Rows shorter than 4 tiles would leave ragged tiles that
  // reuse each weight vector too little: their pixels are gathered once into one run instead.
  const float* in = x;
  int64_t in_plane = s.H * s.W * kChannelBlock;
  const bool strided = s.stride_h != 1 || s.stride_w != 1;
  const bool gather = strided && OW < 4 * kTilePixels;
  if (gather) {
    struct Gathered {};
    float* g = kernels::thread_scratch<Gathered>(s.N * Cb * out_plane);
    for (int64_t b = 0; b < s.N * Cb; ++b)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow)
          std::copy_n(x + b * in_plane + (oh * s.stride_h * s.W + ow * s.stride_w) * kChannelBlock,
                      kChannelBlock, g + b * out_plane + (oh * OW + ow) * kChannelBlock);
    in = g;
    in_plane = out_plane;
  }
  const bool rows = strided && !gather;
  const int64_t runs = rows ? OH : 1, run_len = rows ? OW : OH * OW;
  const int64_t x_pixel_stride = (rows ? s.stride_w : 1) * kChannelBlock;
  const int64_t x_row_stride = rows ? s.stride_h * s.W * kChannelBlock : 0;
  // Enough tasks for the threads to balance: runs in pieces of whole tiles.
  const int threads = pool ? pool->num_threads() : 1;
  const int64_t pieces_wanted = ceil_div(4 * threads, s.N * runs * groups);
  const int64_t piece =
      threads > 1
          ? std::max<int64_t>(kTilePixels,
                              ceil_div(ceil_div(run_len, pieces_wanted), kTilePixels) * kTilePixels)
          : run_len;
  const int64_t pieces = ceil_div(run_len, piece);
  // Whichever is larger, the weights or the input pixels, is read once: groups innermost when
  // the weights are the smaller (each thread reads all weights and its part of the input),
  // outermost otherwise (1x1s on 2048 channels of a 7x7 plane would stream 8 MB of weights per
  // piece).
  const int64_t spans = s.N * runs * pieces;
  const bool groups_inside = s.M <= s.N * s.H * s.W;
  run_tasks(spans * groups, pool, [&](int64_t i) {
    const int64_t g = groups_inside ? i % groups : i / spans;
    const int64_t span = groups_inside ? i / groups : i % spans;
    const int64_t p = span % pieces, r = span / pieces % runs, n = span / pieces / runs;
    const int64_t blocks = std::min<int64_t>(kTileBlocks, Mb - g * kTileBlocks);
    kernels::PointwiseTile t;
    t.x_block_stride = in_plane;
    t.x_pixel_stride = x_pixel_stride;
    t.in_blocks = Cb;
    t.w = weights_.get() + group_offset_[static_cast<size_t>(g)];
    t.out.bias = bias_.data() + g * kTileBlocks * kChannelBlock;
    t.out.y_block_stride = out_plane;
    t.out.act = act_;
    t.out.blocks = static_cast<int>(blocks);
    const float* xr = in + n * Cb * in_plane + r * x_row_stride;
    const int64_t out0 = (n * Mb + g * kTileBlocks) * out_plane + r * run_len * kChannelBlock;
    for_each_tile(p * piece, std::min(run_len, (p + 1) * piece), [&](int64_t j, int n_px) {
      t.x = xr + j * x_pixel_stride;
      t.out.y = y + out0 + j * kChannelBlock;
      t.out.residual = residual ? residual + out0 + j * kChannelBlock : nullptr;
      t.out.pixels = n_px;
      k_->pointwise(t);
    });
  });
}

void BlockedConv2d::run_depthwise(const float* x, float* y, const float* residual,
                                  ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), Cb = channel_blocks(s.C), KK = s.KH * s.KW;
  const int64_t in_plane = s.H * s.W * kChannelBlock, out_plane = OH * OW * kChannelBlock;
  auto rows = [&](int64_t begin, int64_t end, int) {
    for (int64_t i = begin; i < end; ++i) {
      const int64_t oh = i % OH, cb = i / OH % Cb, n = i / OH / Cb;
      const int64_t out = (n * Cb + cb) * out_plane + oh * OW * kChannelBlock;
      kernels::DepthwiseRow r{x + (n * Cb + cb) * in_plane,
                              s.H,
                              s.W,
                              weights_.get() + cb * KK * kChannelBlock,
                              bias_.data() + cb * kChannelBlock,
                              s.KH,
                              s.KW,
                              s.stride_h,
                              s.stride_w,
                              s.dilation_h,
                              s.dilation_w,
                              s.pad_top,
                              s.pad_left,
                              oh,
                              OW,
                              residual ? residual + out : nullptr,
                              y + out,
                              act_};
      k_->depthwise_row(r);
    }
  };
  const int64_t total = s.N * Cb * OH;
  // Rows of at least ~4K multiply-adds a task, so small planes do not pay a hand-off per row.
  const int64_t grain = std::max<int64_t>(1, 4096 / std::max<int64_t>(1, OW * KK));
  if (pool && pool->num_threads() > 1 && total > grain) {
    pool->parallel_range(total, grain, rows, 4);
  } else {
    rows(0, total, 0);
  }
}

void BlockedConv2d::run_direct(const float* x, float* y, const float* residual,
                               ThreadPool* pool) const {
  const Conv2dShape& s = s_;
  const int64_t OH = s.OH(), OW = s.OW(), Mb = channel_blocks(s.M);
  const int64_t Cin = static_cast<int64_t>(channel_offset_.size()), KK = s.KH * s.KW;
  const int64_t in_image =
      input_blocked_ ? channel_blocks(s.C) * s.H * s.W * kChannelBlock : s.C * s.H * s.W;
  const int64_t out_plane = OH * OW * kChannelBlock, groups = ceil_div(Mb, kTileBlocks);
  const int64_t pixel = input_blocked_ ? kChannelBlock : 1;  // floats between input pixels
  // Output columns whose every horizontal tap is inside the input.
  const int64_t ow_lo = std::min(OW, ceil_div(s.pad_left, s.stride_w));
  const int64_t last = s.W - 1 + s.pad_left - (s.KW - 1) * s.dilation_w;
  const int64_t ow_hi = std::max(ow_lo, std::min(OW, last < 0 ? 0 : last / s.stride_w + 1));
  // Input channels in even parts whose weights stay in L1 (about 40 KB) across the row's tiles:
  // summed over all channels at once, each tile would stream the group's weights from L2 (74 KB
  // for a 3x3 on 32 channels) for a reuse of 6 pixels. Not when the residual is y itself, which
  // the partial sums would overwrite.
  const int64_t parts = residual == y ? 1 : ceil_div(Cin * KK * kTileBlocks * kChannelBlock, 10240);
  const int64_t part = ceil_div(Cin, parts);
  // Rows innermost: consecutive tasks (and each thread's share) reuse one group's weights.
  run_tasks(s.N * OH * groups, pool, [&](int64_t i) {
    const int64_t oh = i % OH, g = i / OH % groups, n = i / OH / groups;
    const int64_t blocks = std::min<int64_t>(kTileBlocks, Mb - g * kTileBlocks);
    kernels::DirectTile t;
    t.x = x + n * in_image;
    t.kernel_taps = static_cast<int>(KK);
    t.x_pixel_step = s.stride_w * pixel;
    t.out.bias = bias_.data() + g * kTileBlocks * kChannelBlock;
    t.out.y_block_stride = out_plane;
    t.out.act = act_;
    t.out.blocks = static_cast<int>(blocks);
    const int64_t out0 = (n * Mb + g * kTileBlocks) * out_plane + oh * OW * kChannelBlock;
    // The taps of a window that fits on the stack, others (up to 11x11 and beyond) on the heap.
    int64_t offsets_here[64];
    int32_t index_here[64];
    std::vector<int64_t> offsets_heap(KK > 64 ? static_cast<size_t>(KK) : 0);
    std::vector<int32_t> index_heap(offsets_heap.size());
    int64_t* offsets = KK > 64 ? offsets_heap.data() : offsets_here;
    int32_t* index = KK > 64 ? index_heap.data() : index_here;
    t.tap_offset = offsets;
    t.tap_index = index;
    // The taps inside the input for pixels [ow, ow + count), all alike in that.
    auto tile = [&](int64_t ow, int count) {
      int taps = 0;
      for (int64_t kh = 0; kh < s.KH; ++kh) {
        const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
        if (ih < 0 || ih >= s.H) continue;
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
          if (iw < 0 || iw >= s.W) continue;
          offsets[taps] = (ih * s.W + iw) * pixel;
          index[taps++] = static_cast<int32_t>(kh * s.KW + kw);
        }
      }
      t.taps = taps;
      t.out.y = y + out0 + ow * kChannelBlock;
      t.out.residual = residual ? residual + out0 + ow * kChannelBlock : nullptr;
      t.out.pixels = count;
      k_->direct(t);
    };
    const float* w = weights_.get() + group_offset_[static_cast<size_t>(g)];
    for (int64_t c0 = 0; c0 < Cin; c0 += part) {
      t.channel_offset = channel_offset_.data() + c0;
      t.channels = std::min(part, Cin - c0);
      t.w = w + c0 * KK * blocks * kChannelBlock;
      t.out.first_part = c0 == 0;
      t.out.last_part = c0 + part >= Cin;
      for (int64_t ow = 0; ow < ow_lo; ++ow) tile(ow, 1);
      for_each_tile(ow_lo, ow_hi, tile);
      for (int64_t ow = ow_hi; ow < OW; ++ow) tile(ow, 1);
    }
  });
}

}  // namespace sinter
