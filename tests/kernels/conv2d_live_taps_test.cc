// Cutting a window to the taps that read the input: the planned convolution of the cut window
// gives the reference's output of the whole one, for dilations as large as the map (DeepLab's
// ASPP), one-sided cuts and strides; windows with nothing to cut are left alone.
#include "kernels/conv/conv2d_live_taps.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

namespace sinter {
namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(gen);
  return v;
}

Conv2dShape square(int64_t size, int64_t kernel, int64_t dilation, int64_t pad, int64_t stride) {
  Conv2dShape s;
  s.N = 2;
  s.C = 8;
  s.M = 6;
  s.H = s.W = size;
  s.KH = s.KW = kernel;
  s.dilation_h = s.dilation_w = dilation;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = pad;
  s.stride_h = s.stride_w = stride;
  return s;
}

TEST(Conv2dLiveTaps, CutWindowGivesTheWholeWindowsOutput) {
  struct Case {
    Conv2dShape s;
    int64_t kh, kw;  // the cut window
  };
  Conv2dShape one_sided = square(6, 3, 4, 4, 1);
  one_sided.pad_bottom = one_sided.pad_right = 0;  // the last tap row and column read nothing
  const Case cases[] = {
      {square(14, 3, 36, 36, 1), 1, 1},  // ASPP at dilation 36: the centre tap only
      {square(14, 3, 24, 24, 1), 1, 1},
      {square(9, 3, 9, 9, 2), 1, 1},
      {one_sided, 2, 2},
  };
  uint32_t seed = 1;
  for (const Case& c : cases) {
    const std::vector<float> x = random_floats(c.s.N * c.s.C * c.s.H * c.s.W, seed++);
    const std::vector<float> w = random_floats(c.s.M * c.s.C * c.s.KH * c.s.KW, seed++);
    const std::vector<float> bias = random_floats(c.s.M, seed++);
    const auto cut = cut_dead_taps(c.s, w.data());
    ASSERT_TRUE(cut.has_value());
    EXPECT_EQ(cut->shape.KH, c.kh);
    EXPECT_EQ(cut->shape.KW, c.kw);
    EXPECT_EQ(cut->shape.OH(), c.s.OH());
    EXPECT_EQ(cut->shape.OW(), c.s.OW());
    std::vector<float> want(static_cast<size_t>(c.s.N * c.s.M * c.s.OH() * c.s.OW())),
        got(want.size());
    conv2d_reference(c.s, x.data(), w.data(), bias.data(), nullptr, Activation::relu(),
                     want.data());
    Conv2d(cut->shape, cut->weights.data(), bias.data(), Activation::relu())
        .run(x.data(), got.data(), nullptr, nullptr);
    for (size_t i = 0; i < want.size(); ++i) ASSERT_NEAR(got[i], want[i], 1e-4f) << i;
  }
}

TEST(Conv2dLiveTaps, WindowsThatReadTheInputEverywhereAreLeftAlone) {
  const std::vector<float> w(6 * 8 * 9, 1.0f);
  EXPECT_FALSE(cut_dead_taps(square(14, 3, 1, 1, 1), w.data()).has_value());
  EXPECT_FALSE(cut_dead_taps(square(14, 3, 12, 12, 1), w.data()).has_value());  // partly live
}

}  // namespace
}  // namespace sinter
