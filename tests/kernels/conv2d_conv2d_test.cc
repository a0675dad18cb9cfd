// Conv2d (every algorithm it picks) against conv2d_reference over random shapes and options.
// Run under SINTER_ISA=portable too: the kernel set is chosen from the CPU at plan time.
#include "kernels/conv/conv2d.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <optional>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "isa_tiers.h"
#include "kernels/conv/conv2d_direct.h"
#include "kernels/conv/conv2d_dwm.h"
#include "kernels/conv/conv2d_plane.h"
#include "random_activation.h"
#include "random_vec.h"

namespace sinter {
namespace {

using testing::random_activation;

// Pools are reused across cases: starting threads per case would dominate the run time.
ThreadPool* shared_pool(int threads) {
  static ThreadPool one(1), two(2);
  return threads == 1 ? &one : &two;
}

using testing::random_vec;

struct Options {
  bool bias = true, residual = false;
  Activation act;
  int threads = 1;
};

void check_conv(const Conv2dShape& s, const Options& o, std::mt19937& rng,
                Conv2d::Algorithm* chosen = nullptr,
                std::optional<Conv2d::Algorithm> force = std::nullopt) {
  const int64_t x_size = s.N * s.C * s.H * s.W, y_size = s.N * s.M * s.OH() * s.OW();
  const int64_t w_size = s.M * (s.C / s.group) * s.KH * s.KW;
  auto x = random_vec(rng, x_size), w = random_vec(rng, w_size), b = random_vec(rng, s.M);
  auto r = random_vec(rng, y_size);
  const float* bias = o.bias ? b.data() : nullptr;
  const float* res = o.residual ? r.data() : nullptr;
  std::vector<float> ref(y_size), got(y_size, NAN);
  conv2d_reference(s, x.data(), w.data(), bias, res, o.act, ref.data());
  Conv2d conv(s, w.data(), bias, o.act, force);
  conv.run(x.data(), got.data(), res, shared_pool(o.threads));
  if (chosen) *chosen = conv.algorithm();
  float max_ref = 1.0f;
  for (float v : ref) max_ref = std::max(max_ref, std::fabs(v));
  // Winograd F(4x4, 3x3) rounds through transforms with constants up to 8 (and 1/24): looser;
  // DWM adds up one Winograd rounding per 3x3 piece (conv2d_dwm.h states the bound).
  const float scale = conv.algorithm() == Conv2d::Algorithm::kWinograd ? 4.0f
                      : conv.algorithm() == Conv2d::Algorithm::kDwm
                          ? 4.0f * static_cast<float>(Conv2dDwm::pieces(s))
                          : 1.0f;
  const float tol = scale * 1e-4f * max_ref * std::sqrt(static_cast<float>(w_size / s.M + 1));
  for (int64_t i = 0; i < y_size; ++i) {
    ASSERT_NEAR(got[i], ref[i], tol)
        << "at " << i << " N=" << s.N << " C=" << s.C << " H=" << s.H << " W=" << s.W
        << " M=" << s.M << " k=" << s.KH << "x" << s.KW << " stride=" << s.stride_h << ","
        << s.stride_w << " pads=" << s.pad_top << "," << s.pad_left << "," << s.pad_bottom << ","
        << s.pad_right << " dil=" << s.dilation_h << "," << s.dilation_w << " g=" << s.group;
  }
}

// A random window (kernel, strides, dilations, pads) and an input plane it fits, up to `extra_h`
// and `extra_w` larger than the dilated window.
void randomize_window(std::mt19937& rng, Conv2dShape& s, int64_t extra_h, int64_t extra_w) {
  s.KH = 1 + rng() % 4;
  s.KW = 1 + rng() % 4;
  s.stride_h = 1 + rng() % 3;
  s.stride_w = rng() % 2 ? s.stride_h : 1 + rng() % 3;
  s.dilation_h = 1 + rng() % 2;
  s.dilation_w = 1 + rng() % 2;
  s.pad_top = rng() % 3;
  s.pad_left = rng() % 3;
  s.pad_bottom = rng() % 3;
  s.pad_right = rng() % 3;
  s.H = s.dilation_h * (s.KH - 1) + 1 + rng() % extra_h;
  s.W = s.dilation_w * (s.KW - 1) + 1 + rng() % extra_w;
}

Options random_options(std::mt19937& rng) {
  Options o;
  o.bias = rng() % 2;
  o.residual = rng() % 2;
  o.act = random_activation(rng);
  o.threads = 1 + rng() % 2;
  return o;
}

TEST(Conv2d, RandomShapesAndOptions) {
  std::mt19937 rng(2024);
  for (int it = 0; it < 300; ++it) {
    Conv2dShape s;
    s.group = 1 + rng() % 3;
    s.N = 1 + rng() % 2;
    s.C = s.group * (1 + rng() % 5);
    s.M = s.group * (1 + rng() % 9);
    randomize_window(rng, s, 12, 25);
    check_conv(s, random_options(rng), rng);
  }
}

TEST(Conv2d, PointwiseUsesDirectGemm) {
  std::mt19937 rng(1);
  for (int64_t g : {1, 2}) {
    Conv2dShape s;
    s.N = 2;
    s.C = 24 * g;
    s.M = 20 * g;
    s.H = 9;
    s.W = 11;
    s.group = g;
    Conv2d::Algorithm a;
    check_conv(s, {true, true, Activation::relu(), 2}, rng, &a);
    EXPECT_EQ(a, Conv2d::Algorithm::kGemm1x1);
  }
  Conv2dShape strided;  // a ResNet downsample: 1x1 stride 2 on the gathered pixels
  strided.N = 2;
  strided.C = 16;
  strided.M = 32;
  strided.H = 28;
  strided.W = 27;
  strided.stride_h = 2;
  strided.stride_w = 3;
  Conv2d::Algorithm a;
  check_conv(strided, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kGemm1x1);
}

TEST(Conv2d, TransposedPointwiseMatchesReference) {
  std::mt19937 rng(93);
  for (int it = 0; it < 40; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 2;
    s.C = 1 + rng() % 300;  // deeper than one K block sometimes
    s.M = 1 + rng() % 70;
    s.H = 1 + rng() % 9;
    s.W = 1 + rng() % 9;
    check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kGemmTransposed);
  }
  Conv2dShape last;  // MobileNet-V2's last project layer: 7x7 pixels, 32 output channels
  last.C = 96;
  last.M = 32;
  last.H = last.W = 7;
  Conv2d::Algorithm a;
  check_conv(last, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kGemmTransposed);
}

// Two threads on 7x7 planes with small and large weights (w^T of 60 KB and 2.3 MB): the shared
// packing step, the balanced GEMM grid and the transposing pass split among the threads.
TEST(Conv2d, TransposedOnTwoThreadsMatchesReference) {
  std::mt19937 rng(95);
  for (int64_t C : {160, 1100}) {
    Conv2dShape s;
    s.C = C;
    s.M = C == 160 ? 96 : 520;
    s.H = s.W = 7;
    check_conv(s, {true, true, Activation::relu(), 2}, rng, nullptr,
               Conv2d::Algorithm::kGemmTransposed);
  }
}

TEST(Conv2d, TransposedWindowsMatchReference) {
  // Any window, stride, padding and dilation through the explicit im2col.
  std::mt19937 rng(94);
  for (int it = 0; it < 60; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 2;
    s.C = 1 + rng() % 40;
    s.M = 1 + rng() % 70;
    randomize_window(rng, s, 10, 10);
    check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kGemmTransposed);
  }
  Conv2dShape last;  // ResNet's last stage: 3x3 over 7x7 pixels, 64 output channels
  last.C = 24;
  last.M = 64;
  last.H = last.W = 7;
  last.KH = last.KW = 3;
  last.pad_top = last.pad_left = last.pad_bottom = last.pad_right = 1;
  Conv2d::Algorithm a;
  check_conv(last, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kGemmTransposed);
  // A strided window over many channels onto 14x14 (ResNet's stride-2 3x3 onto layer3).
  Conv2dShape strided = last;
  strided.C = 128;
  strided.H = strided.W = 28;
  strided.stride_h = strided.stride_w = 2;
  check_conv(strided, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kGemmTransposed);
}

TEST(Conv2d, PlaneWindowsMatchReference) {
  // Any window, stride, padding, dilation and grouping through the shifted padded planes; wide
  // enough planes that a tile's columns cross few output rows.
  std::mt19937 rng(77);
  int ran = 0;
  for (int it = 0; it < 200; ++it) {
    Conv2dShape s;
    s.group = 1 + rng() % 3;
    s.N = 1 + rng() % 2;
    s.C = s.group * (1 + rng() % 12);
    s.M = s.group * (1 + rng() % 24);
    randomize_window(rng, s, 20, 50);
    if (!Conv2dPlane::supports(s)) continue;
    check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kPlane);
    ++ran;
  }
  EXPECT_GT(ran, 100);
  // Deeper than one K block, with the old C reloaded through the segments; stride 2.
  for (int64_t stride : {1, 2}) {
    Conv2dShape s;
    s.C = 70;
    s.M = 21;
    s.H = 17;
    s.W = 23;
    s.KH = s.KW = 3;
    s.stride_h = s.stride_w = stride;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    check_conv(s, {true, true, Activation::relu(), 2}, rng, nullptr, Conv2d::Algorithm::kPlane);
    check_conv(s, {false, false, Activation{ActivationKind::kSigmoid, 0.0f, 0.0f}, 1}, rng, nullptr,
               Conv2d::Algorithm::kPlane);
  }
}

TEST(Conv2d, LayersDeeperThanOneCacheBlock) {
  std::mt19937 rng(8);
  // C*KH*KW > 256 crosses the GEMM's K blocking; OW not a multiple of the tile width.
  for (int64_t stride : {1, 2}) {
    Conv2dShape s;
    s.C = 40;
    s.M = 70;
    s.H = 15;
    s.W = 19;
    s.KH = s.KW = 3;
    s.stride_h = s.stride_w = stride;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    check_conv(s, {true, true, Activation::relu(), 2}, rng);
  }
  Conv2dShape stem;  // the ResNet stem: 7x7 stride 2 pad 3
  stem.C = 3;
  stem.M = 16;
  stem.H = stem.W = 30;
  stem.KH = stem.KW = 7;
  stem.stride_h = stem.stride_w = 2;
  stem.pad_top = stem.pad_left = stem.pad_bottom = stem.pad_right = 3;
  check_conv(stem, {true, false, Activation::relu(), 2}, rng);
}

TEST(Conv2d, DirectSmallChannelMatchesReference) {
  std::mt19937 rng(91);
  int ran = 0;
  for (int it = 0; it < 120; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 2;
    s.C = 1 + rng() % 4;
    s.M = 1 + rng() % 13;  // blocks of 4 output channels and ragged ones
    s.KH = 1 + rng() % 7;
    s.KW = 1 + rng() % 7;
    s.stride_h = 1 + rng() % 3;
    s.stride_w = 1 + rng() % 2;
    s.pad_top = rng() % 4;
    s.pad_left = rng() % 4;
    s.pad_bottom = rng() % 4;
    s.pad_right = rng() % 4;
    s.H = s.KH + rng() % 20;
    s.W = s.KW + rng() % 130;  // rows of 1..9 vectors (16 wide) and ragged tails
    if (s.OH() <= 0 || s.OW() <= 0 || !Conv2dDirect::supports(s)) continue;
    check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kDirect);
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "no AVX2+FMA: the direct kernel does not run here";
}

TEST(Conv2d, ImageStemsUseTheDirectKernel) {
  std::mt19937 rng(92);
  Conv2dShape s;  // a MobileNet stem, scaled down
  s.C = 3;
  s.M = 32;
  s.H = s.W = 38;
  s.KH = s.KW = 3;
  s.stride_h = s.stride_w = 2;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  Conv2d::Algorithm a;
  check_conv(s, {true, false, Activation::clip(0.0f, 6.0f), 2}, rng, &a);
  EXPECT_EQ(a, Conv2dDirect::supports(s) ? Conv2d::Algorithm::kDirect : Conv2d::Algorithm::kPlane);
}

TEST(Conv2d, WinogradMatchesReference) {
  std::mt19937 rng(77);
  for (int it = 0; it < 60; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 2;
    s.C = 1 + rng() % 20;
    s.M = 1 + rng() % 24;
    s.H = 1 + rng() % 17;
    s.W = 1 + rng() % 23;
    s.KH = s.KW = 3;
    s.pad_top = rng() % 3;
    s.pad_left = rng() % 3;
    s.pad_bottom = rng() % 3;
    s.pad_right = rng() % 3;
    if (s.OH() <= 0 || s.OW() <= 0) continue;
    check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kWinograd);
  }
}

// DWM: windows of 4 to 9 at stride 1 as 3x3 Winograd pieces, square or not, with every epilogue,
// at every tier this CPU runs.
TEST(Conv2d, DwmMatchesReference) {
  const Isa saved = active_isa();
  std::mt19937 rng(78);
  for (Isa isa : tested_isas()) {
    set_isa_cap(isa);
    for (int it = 0; it < 30; ++it) {
      Conv2dShape s;
      s.N = 1 + rng() % 2;
      s.C = 1 + rng() % 20;
      s.M = 1 + rng() % 24;
      s.KH = 1 + rng() % 9;
      s.KW = s.KH <= 3 ? 4 + rng() % 6 : 1 + rng() % 9;
      s.H = s.KH + rng() % 17;
      s.W = s.KW + rng() % 23;
      s.pad_top = rng() % 4;
      s.pad_left = rng() % 4;
      s.pad_bottom = rng() % 4;
      s.pad_right = rng() % 4;
      ASSERT_TRUE(Conv2dDwm::supports(s));
      check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kDwm);
    }
  }
  set_isa_cap(saved);
}

// Strided DWM: stride 2 in either dimension or both, windows of 1 to 9 (at least 3 in one
// dimension), even and odd, square or not, on planes down to those whose padding leaves a
// phase without an input row or column, with every epilogue, at every tier this CPU runs.
TEST(Conv2d, DwmStride2MatchesReference) {
  const Isa saved = active_isa();
  std::mt19937 rng(80);
  for (Isa isa : tested_isas()) {
    set_isa_cap(isa);
    for (int it = 0; it < 60; ++it) {
      Conv2dShape s;
      s.N = 1 + rng() % 2;
      s.C = 1 + rng() % 20;
      s.M = 1 + rng() % 24;
      s.stride_h = 1 + rng() % 2;
      s.stride_w = s.stride_h == 1 ? 2 : 1 + rng() % 2;
      s.KH = 1 + rng() % 9;
      s.KW = s.KH < 3 ? 3 + rng() % 7 : 1 + rng() % 9;
      s.pad_top = rng() % 4;
      s.pad_left = rng() % 4;
      s.pad_bottom = rng() % 4;
      s.pad_right = rng() % 4;
      // A third of the planes tiny: one or two output rows or columns, some mostly padding.
      const bool tiny = rng() % 3 == 0;
      s.H = std::max<int64_t>(1, s.KH - s.pad_top - s.pad_bottom) + rng() % (tiny ? 3 : 24);
      s.W = std::max<int64_t>(1, s.KW - s.pad_left - s.pad_right) + rng() % (tiny ? 3 : 24);
      ASSERT_TRUE(Conv2dDwm::supports(s));
      check_conv(s, random_options(rng), rng, nullptr, Conv2d::Algorithm::kDwm);
    }
  }
  set_isa_cap(saved);
}

// Pieces per layer: each stride phase's sub-kernel in 3x3 blocks.
TEST(Conv2d, DwmPieces) {
  Conv2dShape s;
  s.H = s.W = 32;
  struct Case {
    int64_t k, stride, pieces;
  };
  const Case cases[] = {{5, 1, 4}, {7, 1, 9},  {3, 2, 4}, {5, 2, 4},
                        {7, 2, 9}, {9, 2, 16}, {6, 2, 4}};
  for (const Case& c : cases) {
    s.KH = s.KW = c.k;
    s.stride_h = s.stride_w = c.stride;
    EXPECT_EQ(Conv2dDwm::pieces(s), c.pieces) << c.k << "x" << c.k << "/" << c.stride;
  }
  s.KH = 7;
  s.KW = 1;
  s.stride_h = s.stride_w = 2;
  EXPECT_EQ(Conv2dDwm::pieces(s), 3);  // 4x1 (2 pieces) and 3x1: odd columns have no taps
}

// choose() takes DWM for stride-2 5x5 windows on many channels and enough tiles, not for the
// windows and planes where it measured slower (Conv2dDwm::pays).
TEST(Conv2d, DwmChosenForStridedWideWindows) {
  std::mt19937 rng(81);
  Conv2dShape s;  // 5x5 128 -> 64 @28, stride 2: 14x14 out, 16 tiles per piece
  s.C = 128;
  s.M = 64;
  s.H = s.W = 28;
  s.KH = s.KW = 5;
  s.stride_h = s.stride_w = 2;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 2;
  Conv2d::Algorithm a;
  check_conv(s, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kDwm);
  auto chosen = [&](auto change) {
    Conv2dShape c = s;
    change(c);
    return Conv2d::choose(c);
  };
  EXPECT_NE(chosen([](Conv2dShape& c) { c.KH = c.KW = 3; }), Conv2d::Algorithm::kDwm);
  EXPECT_NE(chosen([](Conv2dShape& c) { c.KH = c.KW = 7; }), Conv2d::Algorithm::kDwm);
  EXPECT_NE(chosen([](Conv2dShape& c) { c.C = 64; }), Conv2d::Algorithm::kDwm);
  EXPECT_NE(chosen([](Conv2dShape& c) { c.H = c.W = 14; }), Conv2d::Algorithm::kDwm);
  EXPECT_NE(chosen([](Conv2dShape& c) { c.stride_w = 1; }), Conv2d::Algorithm::kDwm);
  EXPECT_NE(chosen([](Conv2dShape& c) { c.stride_h = c.stride_w = 1; }), Conv2d::Algorithm::kDwm);
}

TEST(Conv2d, DwmRefusals) {
  Conv2dShape base;
  base.KH = base.KW = 5;
  base.H = base.W = 19;
  ASSERT_TRUE(Conv2dDwm::supports(base));
  auto refused = [&](auto change) {
    Conv2dShape s = base;
    change(s);
    return !Conv2dDwm::supports(s);
  };
  EXPECT_TRUE(refused([](Conv2dShape& s) { s.stride_h = 3; }));
  EXPECT_TRUE(refused([](Conv2dShape& s) { s.stride_w = 3; }));
  EXPECT_TRUE(refused([](Conv2dShape& s) { s.dilation_w = 2; }));
  EXPECT_TRUE(refused([](Conv2dShape& s) {
    s.C = s.M = 2;
    s.group = 2;
  }));
  EXPECT_TRUE(refused([](Conv2dShape& s) { s.KH = s.KW = 3; }));  // Winograd itself
  EXPECT_TRUE(refused([](Conv2dShape& s) { s.KW = 10; }));
  EXPECT_TRUE(refused([](Conv2dShape& s) {
    s.KH = s.KW = 2;  // nothing to decompose
    s.stride_h = s.stride_w = 2;
  }));
  EXPECT_TRUE(refused([](Conv2dShape& s) {
    s.H = 3;  // no output
    s.stride_h = 2;
  }));
  EXPECT_FALSE(refused([](Conv2dShape& s) {
    s.KH = s.KW = 3;
    s.stride_w = 2;
  }));
}

TEST(Conv2d, WinogradWideRows) {
  std::mt19937 rng(79);
  // Rows of 19 and 56 tiles: the vectorized 8-tile transform passes plus their scalar tails.
  for (int64_t W : {75, 224}) {
    Conv2dShape s;
    s.N = 2;
    s.C = 5;
    s.M = 7;
    s.H = 9;
    s.W = W;
    s.KH = s.KW = 3;
    s.pad_top = 1;
    s.pad_left = 2;
    s.pad_bottom = 0;
    s.pad_right = 1;
    check_conv(s, {true, true, Activation::relu(), 2}, rng, nullptr, Conv2d::Algorithm::kWinograd);
    check_conv(s, {false, false, {ActivationKind::kHardSwish}, 1}, rng, nullptr,
               Conv2d::Algorithm::kWinograd);
  }
}

TEST(Conv2d, WinogradUnevenSliverBlocksPerThread) {
  // One image whose tiles do not halve into whole slivers. 7x10 tiles: each thread takes a block
  // of whole slivers, the last one shorter. 14x14: two blocks of 98 tiles, each ending in a
  // half sliver.
  std::mt19937 rng(80);
  for (int64_t hw : {28, 56}) {
    Conv2dShape s;
    s.C = 6;
    s.M = 9;
    s.H = hw;
    s.W = hw == 28 ? 40 : 56;
    s.KH = s.KW = 3;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
    check_conv(s, {true, true, Activation::relu(), 2}, rng, nullptr, Conv2d::Algorithm::kWinograd);
  }
}

TEST(Conv2d, WinogradSeveralBlocksStartingMidRow) {
  std::mt19937 rng(80);
  Conv2dShape s;  // 78 tiles in rows of 6, more than one ~4 MB block holds at this depth
  s.C = 300;
  s.M = 100;
  s.H = 50;
  s.W = 23;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  for (int threads : {1, 2})
    check_conv(s, {true, true, Activation::relu(), threads}, rng, nullptr,
               Conv2d::Algorithm::kWinograd);
}

TEST(Conv2d, WinogradChosenForResNetLayers) {
  std::mt19937 rng(78);
  Conv2dShape s;  // deeper than one GEMM K block, spatial size not a multiple of 4
  s.C = 300;
  s.M = 256;
  s.H = 14;
  s.W = 23;  // 6 tiles a row: the 16-tile blocks this depth gets start mid-row
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  Conv2d::Algorithm a;
  check_conv(s, {true, true, Activation::relu(), 2}, rng, &a);
  EXPECT_EQ(a, Conv2d::Algorithm::kWinograd);
}

TEST(Conv2d, InvalidShapesThrow) {
  Conv2dShape s;
  s.C = 3;
  s.group = 2;
  std::vector<float> w(16);
  EXPECT_THROW(Conv2d(s, w.data(), nullptr, {}), InputError);
  Conv2dShape big;
  big.H = big.W = 2;
  big.KH = big.KW = 3;
  EXPECT_THROW(Conv2d(big, w.data(), nullptr, {}), InputError);
}

}  // namespace
}  // namespace sinter
