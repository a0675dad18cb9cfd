// The integer pattern convolution at every ISA tier this CPU runs with code of its own, serial and
// on two threads, against qconv2d_reference on the same dense weights, bit for bit: strides 1 and
// 2, odd and even planes from 1x1 to 57 wide, bands of rows (tall planes), channel blocks with
// and without kernels, partial blocks of 16 filters, kernels with fewer than 4 taps (inside a
// pattern and completing a new one), input zero points 0, 128 and 255, a narrowed output range,
// bias and a fused residual.
#include "kernels/sparse/qpattern_conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "family_tiers.h"

namespace sinter::kernels {
namespace {

struct Case {
  int64_t N, C, M, H, W, stride, pad;
  int patterns;
  double connectivity;
};

// Each kernel kept with probability `connectivity`, with one of `patterns` random 4-tap patterns;
// a fifth of the kept ones hold only some of its taps, and up to 3 kernels have 1 or 2 taps of
// their own (completed into a pattern by the kernel).
std::vector<int8_t> pattern_weights(std::mt19937& rng, int64_t kernels, int patterns,
                                    double connectivity) {
  std::vector<uint32_t> masks;
  while (static_cast<int>(masks.size()) < patterns) {
    int taps[9] = {0, 1, 2, 3, 4, 5, 6, 7, 8};
    std::shuffle(taps, taps + 9, rng);
    const uint32_t mask = 1u << taps[0] | 1u << taps[1] | 1u << taps[2] | 1u << taps[3];
    if (std::find(masks.begin(), masks.end(), mask) == masks.end()) masks.push_back(mask);
  }
  std::bernoulli_distribution keep(connectivity), partial(0.2), own(0.02);
  std::uniform_int_distribution<int> weight(-128, 127);
  std::vector<int8_t> w(static_cast<size_t>(kernels * 9), 0);
  int own_left = 3;
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

void check(const Case& c, int32_t x_zero_point, bool relu, bool with_bias, std::mt19937& rng) {
  Conv2dShape s;
  s.N = c.N;
  s.C = c.C;
  s.M = c.M;
  s.H = c.H;
  s.W = c.W;
  s.KH = s.KW = 3;
  s.stride_h = s.stride_w = c.stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = c.pad;
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
  if (with_bias) {
    for (auto& v : residual) v = static_cast<uint8_t>(u8(rng));
    q.has_residual = true;
    q.r_scale = q.y_scale * 0.7f;
    q.r_zero_point = relu ? 255 : 0;
  }
  const float* b = with_bias ? bias.data() : nullptr;
  const uint8_t* r = with_bias ? residual.data() : nullptr;
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
                           << c.stride << " p" << c.pad << " patterns " << conv.patterns() << " zp"
                           << x_zero_point << (relu ? " relu" : "") << (r ? " residual" : "");
    }
  }
}

TEST(QPatternConv2d, MatchesReferenceBitForBit) {
  std::mt19937 rng(11);
  const std::vector<Case> cases = {
      {1, 16, 16, 8, 8, 1, 1, 8, 0.5},      // one channel block, one filter block
      {2, 40, 35, 9, 13, 1, 1, 8, 0.3},     // partial channel and filter blocks, two images
      {1, 64, 64, 57, 57, 1, 1, 8, 0.28},   // several bands of rows
      {1, 32, 48, 14, 14, 2, 1, 6, 0.4},    // stride 2, even plane
      {2, 24, 20, 15, 11, 2, 1, 4, 0.5},    // stride 2, odd plane, partial blocks
      {1, 48, 32, 7, 7, 1, 1, 8, 0.3},      // a 7x7 plane: tiles across rows
      {1, 20, 17, 5, 6, 1, 0, 3, 0.6},      // unpadded
      {1, 8, 16, 1, 1, 1, 1, 8, 0.7},       // a 1x1 plane
      {1, 33, 16, 9, 9, 2, 0, 8, 0.5},      // stride 2, unpadded
      {1, 64, 32, 20, 40, 1, 1, 8, 0.02},   // blocks without any kernel
      {1, 16, 16, 130, 3, 1, 1, 2, 0.5},    // a tall narrow plane: many bands
      {3, 128, 64, 28, 28, 2, 1, 8, 0.25},  // ResNet's downsampling shape
  };
  int i = 0;
  for (const Case& c : cases)
    for (int32_t zp : {0, 128, 255}) {
      check(c, zp, i % 2 == 0, i % 3 != 0, rng);
      ++i;
    }
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
  // 17 distinct 4-tap patterns.
  std::vector<int8_t> many(static_cast<size_t>(17 * 4 * 9), 0);
  Conv2dShape wide = s;
  wide.M = 17;
  int k = 0;
  for (uint32_t mask = 0; mask < 512 && k < 17; ++mask)
    if (__builtin_popcount(mask) == 4) {
      for (int t = 0; t < 9; ++t) many[k * 4 * 9 + t] = (mask >> t & 1) ? 1 : 0;
      ++k;
    }
  EXPECT_FALSE(QPatternConv2d::supports(wide, many.data(), q));
}

}  // namespace
}  // namespace sinter::kernels
