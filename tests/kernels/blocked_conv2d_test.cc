// The blocked-layout convolution at every ISA tier with code of its own (family_tiers.h), on one
// and two threads, against conv2d_reference on the NCHW tensors: 1x1 (strided on short rows,
// gathered, and on long ones; channels not a multiple of 16; residual), depthwise (3x3 and 5x5,
// stride 1 and 2, asymmetric pads, dilation), direct (stems on 3 channels, 3x3 on a blocked
// input, 1x1 on an NCHW input, wide windows), every activation. Lanes past the channel count
// must hold finite values. Also the reorders and the blocked global average pool. Tolerance:
// 2e-5 relative + 2e-5 absolute per sqrt of the products summed (the vector kernels sum in
// another order, with FMA).
#include "kernels/blocked/blocked_conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "family_tiers.h"
#include "random_activation.h"

namespace sinter {
namespace {

using kernels::channel_blocks;
using kernels::kChannelBlock;

std::vector<float> random_vector(size_t n, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(n);
  for (auto& e : v) e = dist(rng);
  return v;
}

struct Case {
  int64_t C, M, H, W, K, stride;
  std::array<int64_t, 4> pads;  // top, left, bottom, right
  bool depthwise = false, input_blocked = true;
  int64_t dilation = 1, N = 1;
};

Conv2dShape shape_of(const Case& c) {
  Conv2dShape s;
  s.N = c.N, s.C = c.C, s.M = c.depthwise ? c.C : c.M, s.H = c.H, s.W = c.W;
  s.KH = s.KW = c.K, s.stride_h = s.stride_w = c.stride;
  s.pad_top = c.pads[0], s.pad_left = c.pads[1], s.pad_bottom = c.pads[2], s.pad_right = c.pads[3];
  s.dilation_h = s.dilation_w = c.dilation;
  s.group = c.depthwise ? c.C : 1;
  return s;
}

void check(const Case& c, const Activation& act, bool with_residual, std::mt19937& rng) {
  const Conv2dShape s = shape_of(c);
  const int64_t HW = s.H * s.W, OHW = s.OH() * s.OW();
  const auto x = random_vector(static_cast<size_t>(s.N * s.C * HW), rng);
  const auto w = random_vector(static_cast<size_t>(s.M * s.C / s.group * s.KH * s.KW), rng);
  const auto bias = random_vector(static_cast<size_t>(s.M), rng);
  const auto residual = random_vector(static_cast<size_t>(s.N * s.M * OHW), rng);
  std::vector<float> want(residual.size());
  conv2d_reference(s, x.data(), w.data(), bias.data(), with_residual ? residual.data() : nullptr,
                   act, want.data());
  const size_t blocked_out = static_cast<size_t>(s.N * channel_blocks(s.M) * OHW * kChannelBlock);
  std::vector<float> xb(static_cast<size_t>(s.N * channel_blocks(s.C) * HW * kChannelBlock));
  kernels::reorder_to_blocked(x.data(), s.N, s.C, HW, xb.data());
  std::vector<float> rb(blocked_out), yb(blocked_out), got(want.size());
  kernels::reorder_to_blocked(residual.data(), s.N, s.M, OHW, rb.data());
  const double terms = static_cast<double>(s.C / s.group * s.KH * s.KW);
  const float tol = static_cast<float>(2e-5 * std::sqrt(terms));
  ThreadPool pool2(2);
  for (Isa isa : family_tiers("blocked conv2d", kernels::blocked_conv_kernels())) {
    const BlockedConv2d conv(s, c.input_blocked, w.data(), bias.data(), act,
                             kernels::blocked_conv_kernels().at(isa));
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(yb.begin(), yb.end(), -777.0f);
      conv.run(c.input_blocked ? xb.data() : x.data(), yb.data(),
               with_residual ? rb.data() : nullptr, pool);
      kernels::reorder_from_blocked(yb.data(), s.N, s.M, OHW, got.data());
      const std::string where = std::string(isa_name(isa)) + (pool ? " 2 threads" : " serial") +
                                " C" + std::to_string(s.C) + " M" + std::to_string(s.M) + " " +
                                std::to_string(s.H) + "x" + std::to_string(s.W) + " k" +
                                std::to_string(s.KH) + " s" + std::to_string(s.stride_h);
      for (size_t i = 0; i < want.size(); ++i)
        ASSERT_NEAR(got[i], want[i], tol * (1.0f + std::fabs(want[i]))) << where << " at " << i;
      for (float v : yb) ASSERT_TRUE(std::isfinite(v)) << where << ": a padded lane";
    }
  }
}

TEST(BlockedConv2d, PointwiseMatchesReference) {
  std::mt19937 rng(11);
  const std::vector<Case> cases = {
      {32, 64, 7, 7, 1, 1, {0, 0, 0, 0}},
      {160, 960, 7, 7, 1, 1, {0, 0, 0, 0}},
      {24, 144, 12, 9, 1, 1, {0, 0, 0, 0}},
      {20, 40, 5, 11, 1, 1, {0, 0, 0, 0}},
      {64, 128, 14, 14, 1, 2, {0, 0, 0, 0}},
      {24, 40, 50, 49, 1, 2, {0, 0, 0, 0}},
      {17, 33, 9, 7, 1, 2, {0, 0, 0, 0}},
      {48, 80, 3, 13, 1, 1, {0, 0, 0, 0}},
      {16, 16, 1, 1, 1, 1, {0, 0, 0, 0}},
      {96, 24, 13, 13, 1, 1, {0, 0, 0, 0}},
      {64, 256, 8, 8, 1, 1, {0, 0, 0, 0}, false, true, 1, 2},
  };
  for (const Case& c : cases)
    for (int r = 0; r < 2; ++r) check(c, testing::random_activation(rng), r == 1, rng);
}

TEST(BlockedConv2d, DepthwiseMatchesReference) {
  std::mt19937 rng(12);
  const std::vector<Case> cases = {
      {32, 0, 112, 112, 3, 1, {1, 1, 1, 1}, true},
      {96, 0, 112, 112, 3, 2, {1, 1, 1, 1}, true},
      {144, 0, 56, 56, 3, 1, {1, 1, 1, 1}, true},
      {960, 0, 7, 7, 3, 1, {1, 1, 1, 1}, true},
      {40, 0, 15, 13, 5, 2, {2, 1, 2, 3}, true},
      {24, 0, 9, 20, 3, 1, {0, 2, 1, 0}, true},
      {17, 0, 11, 11, 3, 1, {2, 2, 2, 2}, true, true, 2},
      {16, 0, 2, 3, 3, 1, {1, 1, 1, 1}, true, true, 1, 2},
  };
  for (const Case& c : cases)
    for (int r = 0; r < 2; ++r) check(c, testing::random_activation(rng), r == 1, rng);
}

TEST(BlockedConv2d, DirectMatchesReference) {
  std::mt19937 rng(13);
  const std::vector<Case> cases = {
      {3, 32, 224, 224, 3, 2, {1, 1, 1, 1}, false, false},
      {3, 64, 31, 29, 7, 2, {3, 3, 3, 3}, false, false},
      {16, 64, 27, 27, 3, 1, {1, 1, 1, 1}},
      {64, 128, 28, 28, 3, 2, {1, 1, 1, 1}},
      {20, 36, 10, 9, 3, 1, {0, 1, 2, 0}},
      {32, 48, 12, 12, 1, 1, {0, 0, 0, 0}, false, false},
      {8, 24, 9, 9, 3, 1, {1, 1, 1, 1}, false, true, 2},
      {4, 16, 15, 15, 11, 4, {2, 2, 2, 2}, false, false},
      {64, 16, 6, 6, 3, 1, {1, 1, 1, 1}, false, true, 1, 2},
      {16, 16, 3, 3, 5, 1, {2, 2, 2, 2}},
  };
  for (const Case& c : cases)
    for (int r = 0; r < 2; ++r) check(c, testing::random_activation(rng), r == 1, rng);
}

TEST(BlockedReorder, RoundTripsAndPools) {
  std::mt19937 rng(14);
  for (int64_t C : {1, 16, 17, 40, 96}) {
    const int64_t N = 2, HW = 13;
    const auto x = random_vector(static_cast<size_t>(N * C * HW), rng);
    std::vector<float> blocked(static_cast<size_t>(N * channel_blocks(C) * HW * kChannelBlock),
                               -1.0f);
    std::vector<float> back(x.size()), pooled(static_cast<size_t>(N * C));
    kernels::reorder_to_blocked(x.data(), N, C, HW, blocked.data());
    kernels::reorder_from_blocked(blocked.data(), N, C, HW, back.data());
    EXPECT_EQ(back, x);
    // The last block's lanes past C are zero.
    const int64_t used = C - (channel_blocks(C) - 1) * kChannelBlock;
    for (int64_t n = 0; n < N; ++n)
      for (int64_t p = 0; p < HW; ++p)
        for (int64_t l = used; l < kChannelBlock; ++l)
          EXPECT_EQ(
              blocked[static_cast<size_t>(
                  ((n * channel_blocks(C) + channel_blocks(C) - 1) * HW + p) * kChannelBlock + l)],
              0.0f);
    kernels::global_average_pool_blocked(blocked.data(), N, C, HW, pooled.data());
    for (int64_t n = 0; n < N; ++n)
      for (int64_t c = 0; c < C; ++c) {
        double sum = 0;
        for (int64_t p = 0; p < HW; ++p) sum += x[static_cast<size_t>((n * C + c) * HW + p)];
        EXPECT_NEAR(pooled[static_cast<size_t>(n * C + c)], sum / HW, 1e-6);
      }
  }
}

}  // namespace
}  // namespace sinter
