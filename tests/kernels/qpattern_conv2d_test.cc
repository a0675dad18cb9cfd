// The integer pattern convolution at every ISA tier this CPU runs with code of its own, serial and
// on two threads, against qconv2d_reference on the same dense weights, bit for bit: strides 1 and
// 2, odd and even planes from 1x1 to 57 wide, asymmetric and no padding, single-column planes at
// stride 2, bands of rows (tall planes), both tile sizes, channel blocks with and without kernels,
// partial blocks of 16 filters, filters split over threads (an empty chunk too), kernels with
// fewer than 4 taps (inside a pattern and completing a new one), no kernel at all, 16 patterns,
// input zero points 0, 128 and 255, a narrowed output range, bias and a fused residual apart and
// together.
#include "kernels/sparse/qpattern_conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "family_tiers.h"

namespace sinter::kernels {
namespace {

struct Case {
  int64_t N, C, M, H, W, stride;
  int64_t pad_top, pad_left, pad_bottom, pad_right;
  int patterns;
  double connectivity;
};

// Each kernel kept with probability `connectivity`, with one of `patterns` random 4-tap patterns
// (each even tap dropped with probability `drop`: some kernels hold only some of its taps), and,
// with fewer than 14 patterns, up to 3 kernels with 1 or 2 taps of their own (which the kernel
// completes into a pattern).
std::vector<int8_t> pattern_weights(std::mt19937& rng, int64_t kernels, int patterns,
                                    double connectivity, double drop = 0.2) {
  std::vector<uint32_t> masks;
  while (static_cast<int>(masks.size()) < patterns) {
    int taps[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    std::shuffle(taps, taps + 9, rng);
    const uint32_t mask = 1u << taps[0] | 1u << taps[1] | 1u << taps[2] | 1u << taps[3];
    if (std::find(masks.begin(), masks.end(), mask) == masks.end()) masks.push_back(mask);
  }
  std::bernoulli_distribution keep(connectivity), partial(drop), own(0.02);
  std::uniform_int_distribution<int> weight(-128, 127);
  std::vector<int8_t> w(static_cast<size_t>(kernels * 9), 0);
  int own_left = patterns < 14 ? 3 : 0;
  for (int64_t k = 0; k < kernels; ++k) {
    if (!keep(rng)) continue;
    uint32_t mask = masks[rng() % masks.size()];
    if (own_left > 0 && own(rng)) {
      mask = 1u << (rng() % 9) | 1u << (rng() % 9);
      --own_left;
    }
    for (int t = 0; t < 9; ++t)
      if (mask & (1u << t)) {
        if (partial(rng) && t % 2 == 0) continue;
        int8_t v = static_cast<int8_t>(weight(rng));
        w[k * 9 + t] = v == 0 ? int8_t{1} : v;
      }
  }
  return w;
}

void check(const Case& c, int32_t x_zero_point, bool relu, bool with_bias, bool with_residual,
           std::mt19937& rng) {
  Conv2dShape s;
  s.N = c.N;
  s.C = c.C;
  s.M = c.M;
  s.H = c.H;
  s.W = c.W;
  s.KH = s.KW = 3;
  s.stride_h = s.stride_w = c.stride;
  s.pad_top = c.pad_top;
  s.pad_left = c.pad_left;
  s.pad_bottom = c.pad_bottom;
  s.pad_right = c.pad_right;
  std::uniform_int_distribution<int> u8(0, 255);
  std::uniform_real_distribution<float> real(-1, 1), scale(0.5f, 2.0f);
  std::vector<uint8_t> x(static_cast<size_t>(s.N * s.H * s.W * s.C));
  for (auto& v : x) v = static_cast<uint8_t>(u8(rng));
  const std::vector<int8_t> w = pattern_weights(rng, s.M * s.C, c.patterns, c.connectivity);
  std::vector<float> bias(static_cast<size_t>(s.M));
  for (auto& v : bias) v = real(rng);
  QConvQuant q;
  q.x_scale = 0.02f * scale(rng);
  q.x_zero_point = x_zero_point;
  q.y_zero_point = 100;
  q.y_min = relu ? 100 : 0;
  for (int64_t i = 0; i < s.M; ++i) q.w_scales.push_back(0.01f * scale(rng));
  // Spreads the sums over the u8 range, some saturating.
  q.y_scale = q.x_scale * 0.01f * 128.0f * 30.0f *
              std::sqrt(static_cast<float>(4 * c.connectivity * s.C)) / 40.0f;
  std::vector<uint8_t> want(static_cast<size_t>(s.N * s.OH() * s.OW() * s.M)), got(want.size());
  std::vector<uint8_t> residual(want.size());
  if (with_residual) {
    for (auto& v : residual) v = static_cast<uint8_t>(u8(rng));
    q.has_residual = true;
    q.r_scale = q.y_scale * 0.7f;
    q.r_zero_point = relu ? 255 : 0;
  }
  const float* b = with_bias ? bias.data() : nullptr;
  const uint8_t* r = with_residual ? residual.data() : nullptr;
  ASSERT_TRUE(QPatternConv2d::supports(s, w.data(), q));
  qconv2d_reference(s, x.data(), w.data(), b, q, want.data(), r);
  ThreadPool pool2(2);
  for (Isa isa : family_tiers("qpattern_conv2d", qpattern_kernels())) {
    const QPatternConv2d conv(s, w.data(), b, q, isa);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), uint8_t{7});
      conv.run(x.data(), got.data(), pool, r);
      ASSERT_EQ(got, want) << isa_name(isa) << (pool ? " 2 threads" : " serial") << " N" << c.N
                           << " C" << c.C << " M" << c.M << " " << c.H << "x" << c.W << " s"
                           << c.stride << " pads " << c.pad_top << c.pad_left << c.pad_bottom
                           << c.pad_right << " patterns " << conv.patterns() << " zp"
                           << x_zero_point << (relu ? " relu" : "") << (r ? " residual" : "");
    }
  }
}

TEST(QPatternConv2d, MatchesReferenceBitForBit) {
  std::mt19937 rng(11);
  const std::vector<Case> cases = {
      {1, 16, 16, 8, 8, 1, 1, 1, 1, 1, 8, 0.5},      // one channel block, one filter block
      {2, 40, 35, 9, 13, 1, 1, 1, 1, 1, 8, 0.3},     // partial blocks, two images
      {1, 64, 64, 57, 57, 1, 1, 1, 1, 1, 8, 0.28},   // several bands, tiles of 128
      {1, 32, 48, 14, 14, 2, 1, 1, 1, 1, 6, 0.4},    // stride 2, even plane
      {2, 24, 20, 15, 11, 2, 1, 1, 1, 1, 4, 0.5},    // stride 2, odd plane, partial blocks
      {1, 16, 16, 56, 56, 2, 1, 1, 1, 1, 8, 0.5},    // stride 2, tiles of 128
      {1, 16, 16, 260, 5, 2, 1, 1, 1, 1, 8, 0.5},    // stride 2, many bands
      {1, 48, 32, 7, 7, 1, 1, 1, 1, 1, 8, 0.3},      // a 7x7 plane: tiles across rows
      {1, 20, 17, 5, 6, 1, 0, 0, 0, 0, 3, 0.6},      // unpadded
      {1, 8, 16, 1, 1, 1, 1, 1, 1, 1, 8, 0.7},       // a 1x1 plane
      {1, 33, 16, 9, 9, 2, 0, 0, 0, 0, 8, 0.5},      // stride 2, unpadded
      {1, 12, 20, 9, 10, 1, 2, 0, 1, 2, 8, 0.5},     // asymmetric pads
      {1, 12, 20, 10, 9, 2, 0, 2, 2, 1, 8, 0.5},     // stride 2, asymmetric pads
      {1, 8, 16, 5, 1, 2, 1, 0, 1, 2, 8, 0.6},       // one column, stride 2, no left pad
      {1, 8, 16, 1, 5, 2, 0, 1, 2, 1, 8, 0.6},       // one row, stride 2, no top pad
      {1, 8, 16, 2, 2, 2, 0, 0, 0, 0, 8, 0.6},       // a 2x2 image, stride 2, unpadded
      {1, 64, 32, 20, 40, 1, 1, 1, 1, 1, 8, 0.02},   // blocks without any kernel
      {1, 16, 16, 6, 6, 1, 1, 1, 1, 1, 8, 0.0},      // no kernel at all
      {1, 24, 40, 6, 7, 1, 1, 1, 1, 1, 16, 0.6},     // 16 patterns
      {1, 16, 16, 130, 3, 1, 1, 1, 1, 1, 2, 0.5},    // a tall narrow plane: many bands
      {1, 32, 130, 7, 7, 1, 1, 1, 1, 1, 8, 0.3},     // 3 filter groups split over threads
      {1, 16, 300, 5, 5, 1, 1, 1, 1, 1, 8, 0.3},     // a chunk of threads with no filter
      {3, 128, 64, 28, 28, 2, 1, 1, 1, 1, 8, 0.25},  // ResNet's downsampling shape
  };
  int i = 0;
  for (const Case& c : cases)
    for (int32_t zp : {0, 128, 255}) {
      check(c, zp, i % 2 == 0, i % 3 != 0, i % 4 < 2, rng);
      ++i;
    }
}

// Where the integer pattern kernel is chosen over the dense one: a tier with vector code, 256 or
// more input channels, and weights pattern-sparse enough (at most 30 % kept, 4 taps filled).
TEST(QPatternConv2d, PaysWhereItWasMeasuredFaster) {
  std::mt19937 rng(3);
  Conv2dShape s;
  s.N = 1;
  s.C = 256;
  s.M = 32;
  s.H = s.W = 14;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  QConvQuant q;
  q.w_scales.assign(32, 0.01f);
  const std::vector<int8_t> sparse = pattern_weights(rng, s.M * s.C, 8, 0.28, 0.0);
  const std::vector<int8_t> dense_kernels = pattern_weights(rng, s.M * s.C, 8, 0.9, 0.0);
  const bool vnni = &qpattern_kernels().active() != &detail::qpattern_kernels_portable();
  EXPECT_EQ(QPatternConv2d::pays(s, sparse.data(), q), vnni);
  EXPECT_FALSE(QPatternConv2d::pays(s, sparse.data(), q, Isa::kPortable));
  EXPECT_FALSE(QPatternConv2d::pays(s, dense_kernels.data(), q));  // 40 % of the weights kept
  Conv2dShape narrow = s;
  narrow.C = 128;
  EXPECT_FALSE(QPatternConv2d::pays(narrow, sparse.data(), q));
  std::vector<int8_t> sparse_taps = sparse;  // every kept kernel down to one tap
  for (int64_t k = 0; k < s.M * s.C; ++k) {
    bool first = true;
    for (int t = 0; t < 9; ++t)
      if (sparse_taps[k * 9 + t] != 0) {
        if (!first) sparse_taps[k * 9 + t] = 0;
        first = false;
      }
  }
  EXPECT_FALSE(QPatternConv2d::pays(s, sparse_taps.data(), q));
}

TEST(QPatternConv2d, RefusesWhatItDoesNotRun) {
  Conv2dShape s;
  s.N = 1;
  s.C = s.M = 4;
  s.H = s.W = 8;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  std::vector<int8_t> w(static_cast<size_t>(s.M * s.C * 9), 0);
  QConvQuant q;
  q.w_scales.assign(4, 1.0f);
  w[0] = w[1] = w[2] = w[3] = 1;
  EXPECT_TRUE(QPatternConv2d::supports(s, w.data(), q));
  w[4] = 1;  // a kernel of 5 taps
  EXPECT_FALSE(QPatternConv2d::supports(s, w.data(), q));
  w[4] = 0;
  Conv2dShape dilated = s;
  dilated.dilation_h = dilated.dilation_w = 2;
  EXPECT_FALSE(QPatternConv2d::supports(dilated, w.data(), q));
  Conv2dShape strided3 = s;
  strided3.stride_h = strided3.stride_w = 3;
  EXPECT_FALSE(QPatternConv2d::supports(strided3, w.data(), q));
  QConvQuant per_vector = q;
  per_vector.vector_size = 16;
  EXPECT_FALSE(QPatternConv2d::supports(s, w.data(), per_vector));
  QConvQuant short_scales = q;
  short_scales.w_scales.pop_back();
  EXPECT_FALSE(QPatternConv2d::supports(s, w.data(), short_scales));
  EXPECT_THROW(QPatternConv2d(s, w.data(), nullptr, short_scales), InputError);
  // 17 distinct 4-tap patterns.
  std::vector<int8_t> many(static_cast<size_t>(17 * 4 * 9), 0);
  Conv2dShape wide = s;
  wide.M = 17;
  QConvQuant wide_q = q;
  wide_q.w_scales.assign(17, 1.0f);
  int k = 0;
  for (uint32_t mask = 0; mask < 512 && k < 17; ++mask)
    if (__builtin_popcount(mask) == 4) {
      for (int t = 0; t < 9; ++t) many[k * 4 * 9 + t] = (mask >> t & 1) ? 1 : 0;
      ++k;
    }
  EXPECT_FALSE(QPatternConv2d::supports(wide, many.data(), wide_q));
  std::fill_n(many.begin() + 16 * 4 * 9, 9, int8_t{0});  // without the 17th: 16 fit
  EXPECT_TRUE(QPatternConv2d::supports(wide, many.data(), wide_q));
}

}  // namespace
}  // namespace sinter::kernels
