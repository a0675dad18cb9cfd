// The fused direct convolution + max pool against conv2d_reference then max_pool2d_reference, over
// random stems and pools (kernels, strides, pads, ceil_mode), on one and two threads, at the tier
// the run is capped to (ctest runs this binary once per tier). Tolerance: the convolution's, as in
// conv2d_conv2d_test.cc; the max itself is exact.
#include "kernels/conv/conv2d_direct_max_pool.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "random_activation.h"
#include "random_vec.h"

namespace sinter {
namespace {

using testing::random_vec;

kernels::Pool2dParams pool_over(const Conv2dShape& s, int64_t k, int64_t stride,
                                std::array<int64_t, 4> pads, bool ceil, int64_t kw = 0,
                                int64_t stride_w = 0) {
  kernels::Pool2dParams p;
  p.batch = s.N;
  p.channels = s.M;
  p.in_h = s.OH();
  p.in_w = s.OW();
  p.kernel_h = k;
  p.kernel_w = kw ? kw : k;
  p.stride_h = stride;
  p.stride_w = stride_w ? stride_w : stride;
  p.pad_top = pads[0], p.pad_left = pads[1], p.pad_bottom = pads[2], p.pad_right = pads[3];
  p.ceil_mode = ceil;
  return p;
}

// Runs the fused kernel and the two references; false when the kernel does not take the case.
bool check(const Conv2dShape& s, const kernels::Pool2dParams& p, bool with_bias,
           const Activation& act, int threads, std::mt19937& rng) {
  if (!Conv2dDirectMaxPool::supports(s, p)) return false;
  const int64_t taps = s.C * s.KH * s.KW;
  auto x = random_vec(rng, s.N * s.C * s.H * s.W), w = random_vec(rng, s.M * taps);
  auto b = random_vec(rng, s.M);
  const float* bias = with_bias ? b.data() : nullptr;
  std::vector<float> conv(static_cast<size_t>(s.N * s.M * s.OH() * s.OW()));
  const int64_t out = p.planes() * p.out_h() * p.out_w();
  std::vector<float> want(static_cast<size_t>(out)), got(static_cast<size_t>(out), NAN);
  conv2d_reference(s, x.data(), w.data(), bias, nullptr, act, conv.data());
  kernels::max_pool2d_reference(p, conv.data(), want.data());
  ThreadPool pool(threads);
  Conv2dDirectMaxPool(s, w.data(), p).run(x.data(), got.data(), bias, act, &pool);
  float max_ref = 1.0f;
  for (float v : want) max_ref = std::max(max_ref, std::fabs(v));
  const float tol = 1e-4f * max_ref * std::sqrt(static_cast<float>(taps + 1));
  for (int64_t i = 0; i < out; ++i) {
    EXPECT_NEAR(got[i], want[i], tol)
        << "at " << i << " N=" << s.N << " C=" << s.C << " M=" << s.M << " " << s.H << "x" << s.W
        << " k=" << s.KH << "x" << s.KW << " stride=" << s.stride_h << "," << s.stride_w
        << " pool k=" << p.kernel_h << " s=" << p.stride_h << " pads=" << p.pad_top << ","
        << p.pad_left << "," << p.pad_bottom << "," << p.pad_right << " ceil=" << p.ceil_mode
        << " threads=" << threads;
    if (::testing::Test::HasFailure()) return true;
  }
  return true;
}

TEST(Conv2dDirectMaxPool, StemsMatchConvThenPool) {
  std::mt19937 rng(5);
  Conv2dShape squeeze;  // squeezenet1_1: 3x3/2 without padding, 3x3/2 ceil_mode pool
  squeeze.C = 3, squeeze.M = 64, squeeze.H = squeeze.W = 224;
  squeeze.KH = squeeze.KW = 3, squeeze.stride_h = squeeze.stride_w = 2;
  Conv2dShape resnet;  // resnet: 7x7/2 pad 3, 3x3/2 pool pad 1
  resnet.C = 3, resnet.M = 64, resnet.H = resnet.W = 224;
  resnet.KH = resnet.KW = 7, resnet.stride_h = resnet.stride_w = 2;
  resnet.pad_top = resnet.pad_left = resnet.pad_bottom = resnet.pad_right = 3;
  int ran = 0;
  for (int threads : {1, 2}) {
    ran += check(squeeze, pool_over(squeeze, 3, 2, {0, 0, 0, 0}, true), true, Activation::relu(),
                 threads, rng);
    ran += check(resnet, pool_over(resnet, 3, 2, {1, 1, 1, 1}, false), true, Activation::relu(),
                 threads, rng);
  }
  if (ran == 0) GTEST_SKIP() << "no direct kernel at this ISA tier";
}

TEST(Conv2dDirectMaxPool, LeavesBandsLargerThanACacheToTheUnfusedPath) {
  Conv2dShape s;  // a 1x1 conv to many channels, pooled by a window as tall as the map
  s.C = 1, s.M = 4096, s.H = s.W = 128;
  EXPECT_FALSE(Conv2dDirectMaxPool::supports(s, pool_over(s, 128, 128, {0, 0, 0, 0}, false)));
  s.M = 8;
  EXPECT_EQ(Conv2dDirectMaxPool::supports(s, pool_over(s, 2, 2, {0, 0, 0, 0}, false)),
            Conv2dDirect::supports(s));
}

TEST(Conv2dDirectMaxPool, RandomShapesMatchConvThenPool) {
  std::mt19937 rng(17);
  int ran = 0;
  for (int it = 0; it < 150; ++it) {
    Conv2dShape s;
    s.N = 1 + rng() % 2;
    s.C = 1 + rng() % 4;
    s.M = 1 + rng() % 13;
    s.KH = 1 + rng() % 5;
    s.KW = 1 + rng() % 5;
    s.stride_h = 1 + rng() % 2;
    s.stride_w = 1 + rng() % 2;
    s.pad_top = rng() % 3, s.pad_left = rng() % 3, s.pad_bottom = rng() % 3,
    s.pad_right = rng() % 3;
    s.H = s.KH + rng() % 40;  // pooled heights from 1 to many bands
    s.W = s.KW + rng() % 70;
    if (s.OH() <= 0 || s.OW() <= 0) continue;
    // Windows and strides differ between rows and columns half the time.
    const int64_t k = 1 + rng() % 4, stride = 1 + rng() % 3;
    const bool square = rng() % 2;
    const int64_t kw = square ? k : 1 + rng() % 4, stride_w = square ? stride : 1 + rng() % 3;
    std::array<int64_t, 4> pads;
    pads[0] = rng() % k, pads[2] = rng() % k;  // smaller than the window, as the op requires
    pads[1] = rng() % kw, pads[3] = rng() % kw;
    const kernels::Pool2dParams p = pool_over(s, k, stride, pads, rng() % 2, kw, stride_w);
    if (p.out_h() <= 0 || p.out_w() <= 0) continue;
    ran += check(s, p, rng() % 2, testing::random_activation(rng), 1 + rng() % 2, rng);
    if (HasFailure()) return;
  }
  if (ran == 0) GTEST_SKIP() << "no direct kernel at this ISA tier";
}

}  // namespace
}  // namespace sinter
