// PatternConv2d, CsrConv2d and BsrConv2d against conv2d_reference on the same (pruned) dense
// weights, over random shapes and options, on every ISA tier with loops of its own (isa_tiers.h).
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "isa_tiers.h"
#include "kernels/conv/conv2d.h"
#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/pattern_conv2d.h"
#include "sparse_test_util.h"

namespace sinter::testing {
namespace {

struct Options {
  bool bias = true, residual = false;
  Activation act;
  int threads = 1;
};

template <typename SparseConv>
void check_sparse_conv(const Conv2dShape& s, const std::vector<float>& w, const Options& o,
                       std::mt19937& rng) {
  const int64_t y_size = s.N * s.M * s.OH() * s.OW();
  auto x = random_floats(rng, s.N * s.C * s.H * s.W), b = random_floats(rng, s.M);
  auto r = random_floats(rng, y_size);
  const float* bias = o.bias ? b.data() : nullptr;
  const float* res = o.residual ? r.data() : nullptr;
  std::vector<float> ref(y_size), got(y_size, NAN);
  conv2d_reference(s, x.data(), w.data(), bias, res, o.act, ref.data());
  const float tol = sum_tolerance(ref, s.C * s.KH * s.KW);
  for (Isa isa : tested_isas()) {
    if (!sparse_kernels().has(isa)) continue;
    std::fill(got.begin(), got.end(), NAN);
    SparseConv conv(s, w.data(), bias, o.act, isa);
    conv.run(x.data(), got.data(), res, sparse_test_pool(o.threads));
    for (int64_t i = 0; i < y_size; ++i)
      ASSERT_NEAR(got[i], ref[i], tol)
          << isa_name(isa) << " at " << i << " N=" << s.N << " C=" << s.C << " H=" << s.H
          << " W=" << s.W << " M=" << s.M << " k=" << s.KH << "x" << s.KW << " pads=" << s.pad_top
          << "," << s.pad_left << "," << s.pad_bottom << "," << s.pad_right
          << " dil=" << s.dilation_h << "," << s.dilation_w << " threads=" << o.threads;
  }
}

Options random_options(std::mt19937& rng) {
  Options o;
  o.bias = rng() % 2;
  o.residual = rng() % 2;
  o.act = random_activation(rng);
  o.threads = 1 + rng() % 2;
  return o;
}

TEST(PatternConv2d, RandomShapesAndOptions) {
  std::mt19937 rng(31);
  for (int it = 0; it < 200; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 5;  // 4 and 5 images take the image-per-thread split
    s.C = 1 + rng() % 12;
    s.M = 1 + rng() % 12;
    s.KH = s.KW = 3;
    s.stride_h = 1 + rng() % 3;
    s.stride_w = rng() % 2 ? s.stride_h : 1 + rng() % 3;
    s.pad_top = rng() % 3;
    s.pad_left = rng() % 3;
    s.pad_bottom = rng() % 3;
    s.pad_right = rng() % 3;
    s.H = 1 + rng() % 17;
    s.W = 1 + rng() % 37;
    if (s.OH() <= 0 || s.OW() <= 0) continue;
    const double connectivity = (rng() % 4) / 3.0;
    auto w = random_pattern_weights(rng, s.M * s.C, connectivity);
    ASSERT_TRUE(PatternConv2d::supports(s, w.data()));
    check_sparse_conv<PatternConv2d>(s, w, random_options(rng), rng);
  }
}

TEST(PatternConv2d, VggSmallLayers) {
  std::mt19937 rng(5);
  for (auto [c, m, hw] : {std::tuple{32, 32, 28}, {32, 64, 14}, {64, 64, 14}})
    for (int64_t n : {1, 3}) {
      Conv2dShape s;
      s.N = n;
      s.C = c;
      s.M = m;
      s.H = s.W = hw;
      s.KH = s.KW = 3;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
      auto w = random_pattern_weights(rng, s.M * s.C, 1 / 3.6);
      Options o;
      o.act = Activation::relu();
      o.residual = n == 3;
      o.threads = 2;
      check_sparse_conv<PatternConv2d>(s, w, o, rng);
    }
}

// Channel and filter counts across the tile loops' blocks (kPatternChannelBlock,
// kPatternFilterBlock), with ragged last blocks and blocks whose filters keep no kernel.
TEST(PatternConv2d, BlocksOfChannelsAndFilters) {
  std::mt19937 rng(8);
  for (auto [c, m, hw] : {std::tuple{33, 33, 9}, {70, 45, 12}, {96, 65, 7}, {20, 520, 6}})
    for (double connectivity : {0.05, 1 / 3.6, 1.0}) {
      Conv2dShape s;
      s.stride_h = s.stride_w = 1 + rng() % 2;
      s.N = 1 + rng() % 2;
      s.C = c;
      s.M = m;
      s.H = s.W = hw;
      s.KH = s.KW = 3;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
      auto w = random_pattern_weights(rng, s.M * s.C, connectivity);
      Options o = random_options(rng);
      check_sparse_conv<PatternConv2d>(s, w, o, rng);
    }
}

// Planes big enough for several bands of rows (ShiftedPlanes::kBandBytes), the last one short,
// at strides 1 and 2 and a dilation whose halo is two rows, on one and two threads: wide planes
// (rows of whole lines) and tall narrow ones (rows as long as the padded plane's).
template <typename SparseConv>
void check_bands(bool pattern) {
  std::mt19937 rng(12);
  for (auto [h, w] : {std::pair{23, 112}, {150, 7}})
    for (int64_t stride : {1, 2})
      for (int64_t dilation : {1, 2}) {
        Conv2dShape s;
        s.N = 1 + rng() % 2;
        s.C = 64;
        s.M = 24;
        s.H = h * stride;
        s.W = w * stride;
        s.KH = s.KW = 3;
        s.stride_h = s.stride_w = stride;
        s.dilation_h = s.dilation_w = dilation;
        s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = dilation;
        auto w = pattern ? random_pattern_weights(rng, s.M * s.C, 1 / 3.6)
                         : random_sparse(rng, s.M * s.C * 9, 0.2);
        for (int threads : {1, 2}) {
          Options o = random_options(rng);
          o.threads = threads;
          check_sparse_conv<SparseConv>(s, w, o, rng);
        }
      }
}

TEST(PatternConv2d, BandsOfRows) { check_bands<PatternConv2d>(true); }
TEST(CsrConv2d, BandsOfRows) { check_bands<CsrConv2d>(false); }
TEST(BsrConv2d, BandsOfRows) { check_bands<BsrConv2d>(false); }

TEST(PatternConv2d, RefusesKernelsWithMoreThanFourTaps) {
  Conv2dShape s;
  s.C = 2;
  s.M = 2;
  s.H = s.W = 5;
  s.KH = s.KW = 3;
  std::vector<float> w(2 * 2 * 9, 0.0f);
  for (int t = 0; t < 4; ++t) w[9 + t] = 1.0f;
  EXPECT_TRUE(PatternConv2d::supports(s, w.data()));
  w[9 + 4] = 1.0f;
  EXPECT_FALSE(PatternConv2d::supports(s, w.data()));
  w[9 + 4] = 0.0f;
  s.stride_h = 2;
  EXPECT_TRUE(PatternConv2d::supports(s, w.data()));
  s.stride_h = ShiftedPlanes::kMaxStride + 1;
  EXPECT_FALSE(PatternConv2d::supports(s, w.data()));
}

// Any kernel size, dilation, stride and padding; up to max_filters filters.
Conv2dShape random_conv_shape(std::mt19937& rng, int64_t max_filters) {
  Conv2dShape s;
  s.N = 1 + rng() % 5;
  s.C = 1 + rng() % 10;
  s.M = 1 + rng() % max_filters;
  s.KH = 1 + rng() % 4;
  s.KW = 1 + rng() % 4;
  s.dilation_h = 1 + rng() % 2;
  s.dilation_w = 1 + rng() % 2;
  s.stride_h = 1 + rng() % 3;
  s.stride_w = 1 + rng() % 3;
  s.pad_top = rng() % 3;
  s.pad_left = rng() % 3;
  s.pad_bottom = rng() % 3;
  s.pad_right = rng() % 3;
  s.H = s.dilation_h * (s.KH - 1) + 1 + rng() % 14;
  s.W = s.dilation_w * (s.KW - 1) + 1 + rng() % 35;
  return s;
}

// Channels over several L1 blocks (ShiftedPlanes::l1_channel_block), the last one ragged, and
// filters whose nonzeros skip whole blocks: 1x1 and 3x3, strides 1 and 2.
TEST(CsrConv2d, BlocksOfChannels) {
  std::mt19937 rng(9);
  for (auto [c, k, stride, hw] :
       {std::tuple{300, 1, 1, 7}, {257, 1, 2, 14}, {70, 3, 1, 7}, {45, 3, 2, 13}})
    for (double density : {0.02, 0.1, 1.0}) {
      Conv2dShape s;
      s.N = 1 + rng() % 2;
      s.C = c;
      s.M = 1 + rng() % 20;
      s.H = s.W = hw;
      s.KH = s.KW = k;
      s.stride_h = s.stride_w = stride;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = k / 2;
      auto w = random_sparse(rng, s.M * s.C * s.KH * s.KW, density);
      check_sparse_conv<CsrConv2d>(s, w, random_options(rng), rng);
    }
}

TEST(CsrConv2d, RandomShapesAndOptions) {
  std::mt19937 rng(77);
  for (int it = 0; it < 250; ++it) {
    const Conv2dShape s = random_conv_shape(rng, 12);
    const double density = (rng() % 5) / 4.0;
    auto w = random_sparse(rng, s.M * s.C * s.KH * s.KW, density);
    check_sparse_conv<CsrConv2d>(s, w, random_options(rng), rng);
  }
}

// Any weights run (a block multiplies the zeros it holds); shapes as CsrConv2d's, filter counts
// across whole and ragged block rows, split over threads.
TEST(BsrConv2d, RandomShapesAndOptions) {
  std::mt19937 rng(78);
  for (int it = 0; it < 250; ++it) {
    const Conv2dShape s = random_conv_shape(rng, 14);
    const double density = (rng() % 5) / 4.0;
    auto w = rng() % 2
                 ? random_block_sparse(rng, s.M, s.C * s.KH * s.KW, BsrWeights::kFilters, density)
                 : random_sparse(rng, s.M * s.C * s.KH * s.KW, density);
    check_sparse_conv<BsrConv2d>(s, w, random_options(rng), rng);
  }
}

TEST(BsrConv2d, ResNetPointwiseAndVggSmallLayers) {
  std::mt19937 rng(9);
  for (auto [c, m, hw, k] :
       {std::tuple{64, 256, 14, 1}, {256, 64, 14, 1}, {32, 64, 14, 3}, {64, 62, 14, 3}})
    for (int64_t n : {1, 4}) {
      Conv2dShape s;
      s.N = n;
      s.C = c;
      s.M = m;
      s.H = s.W = hw;
      s.KH = s.KW = k;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = k / 2;
      auto w = random_block_sparse(rng, s.M, s.C * s.KH * s.KW, BsrWeights::kFilters, 0.1);
      Options o;
      o.act = Activation::relu();
      o.residual = n == 4;
      o.threads = 2;
      check_sparse_conv<BsrConv2d>(s, w, o, rng);
    }
}

TEST(BsrConv2d, BlockFill) {
  std::mt19937 rng(10);
  Conv2dShape s;
  s.C = 32;
  s.M = 64;
  s.H = s.W = 8;
  s.KH = s.KW = 3;
  EXPECT_EQ(
      BsrConv2d::block_fill(
          s, random_block_sparse(rng, s.M, s.C * s.KH * s.KW, BsrWeights::kFilters, 0.1).data()),
      1.0);
  // Unstructured at 10 %: a block is kept where any of its 4 weights is, 1 - 0.9^4 of them, and
  // holds 4 * 0.1 nonzeros on average: a fill of 0.1 / (1 - 0.9^4) = 0.29.
  const double fill = BsrConv2d::block_fill(s, random_sparse(rng, 64 * 32 * 9, 0.1).data());
  EXPECT_NEAR(fill, 0.29, 0.03);
  const std::vector<float> zeros(64 * 32 * 9, 0.0f);
  EXPECT_EQ(BsrConv2d::block_fill(s, zeros.data()), 1.0);
  // A ragged last block row counts only its filters.
  s.M = 5;
  std::vector<float> w(5 * 32 * 9, 0.0f);
  w[4 * 32 * 9] = 1.0f;
  EXPECT_EQ(BsrConv2d::block_fill(s, w.data()), 1.0);
}

TEST(CsrConv2d, VggSmallLayers) {
  std::mt19937 rng(6);
  for (auto [c, m, hw] : {std::tuple{32, 32, 28}, {32, 64, 14}, {64, 64, 14}})
    for (int64_t n : {1, 4}) {
      Conv2dShape s;
      s.N = n;
      s.C = c;
      s.M = m;
      s.H = s.W = hw;
      s.KH = s.KW = 3;
      s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
      auto w = random_sparse(rng, s.M * s.C * 9, 0.1);
      Options o;
      o.act = Activation::relu();
      o.threads = 2;
      check_sparse_conv<CsrConv2d>(s, w, o, rng);
    }
}

}  // namespace
}  // namespace sinter::testing
