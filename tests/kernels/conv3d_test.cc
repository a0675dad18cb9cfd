// The 3-D convolution (2-D convolutions per depth tap) against its direct reference: strides,
// pads, dilations and groups in depth and in the plane, bias, residual and activation, one and
// two threads.
#include "kernels/conv/conv3d.h"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"

namespace sinter {
namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (float& x : v) x = dist(gen);
  return v;
}

struct Case {
  int64_t N, C, M, D, H, W, KD, KH, KW, stride_d, stride_hw, pad_d, pad_hw, dilation_d, group;
};

TEST(Conv3d, MatchesReference) {
  const Case cases[] = {
      {1, 3, 4, 5, 6, 7, 3, 3, 3, 1, 1, 1, 1, 1, 1}, {2, 4, 6, 6, 5, 5, 3, 3, 3, 2, 2, 1, 1, 1, 2},
      {1, 2, 3, 7, 6, 6, 2, 3, 1, 1, 1, 0, 0, 2, 1}, {1, 4, 4, 4, 4, 4, 1, 3, 3, 1, 1, 0, 1, 1, 4},
      {1, 3, 2, 3, 8, 8, 3, 1, 1, 1, 1, 2, 0, 1, 1}, {1, 16, 8, 4, 9, 9, 3, 3, 3, 1, 2, 1, 1, 1, 1},
  };
  ThreadPool pool(2);
  uint32_t seed = 1;
  for (const Case& c : cases) {
    Conv3dShape s;
    s.plane.N = c.N;
    s.plane.C = c.C;
    s.plane.M = c.M;
    s.plane.H = c.H;
    s.plane.W = c.W;
    s.plane.KH = c.KH;
    s.plane.KW = c.KW;
    s.plane.stride_h = s.plane.stride_w = c.stride_hw;
    s.plane.pad_top = s.plane.pad_left = s.plane.pad_bottom = s.plane.pad_right = c.pad_hw;
    s.plane.group = c.group;
    s.D = c.D;
    s.KD = c.KD;
    s.stride_d = c.stride_d;
    s.pad_front = c.pad_d;
    s.pad_back = c.pad_d + 1;  // uneven in depth
    s.dilation_d = c.dilation_d;
    SCOPED_TRACE(::testing::Message() << "C " << c.C << " M " << c.M << " D " << c.D << " KD "
                                      << c.KD << " group " << c.group);
    const int64_t y_size = c.N * c.M * s.OD() * s.plane.OH() * s.plane.OW();
    const auto x = random_floats(c.N * c.C * c.D * c.H * c.W, seed++);
    const auto w = random_floats(c.M * (c.C / c.group) * c.KD * c.KH * c.KW, seed++);
    const auto bias = random_floats(c.M, seed++), residual = random_floats(y_size, seed++);
    for (const bool with_extras : {false, true}) {
      const Activation act = with_extras ? Activation::relu() : Activation{};
      const float* b = with_extras ? bias.data() : nullptr;
      const float* r = with_extras ? residual.data() : nullptr;
      std::vector<float> want(static_cast<size_t>(y_size)), got(want.size());
      conv3d_reference(s, x.data(), w.data(), b, r, act, want.data());
      const Conv3d conv(s, w.data(), b, act);
      for (ThreadPool* p : {static_cast<ThreadPool*>(nullptr), &pool}) {
        conv.run(x.data(), got.data(), r, p);
        for (size_t i = 0; i < want.size(); ++i)
          ASSERT_NEAR(got[i], want[i], 1e-4f * (1.0f + std::fabs(want[i]))) << i;
      }
    }
  }
}

TEST(Conv3d, InconsistentShapesAreRefused) {
  Conv3dShape s;
  s.D = 2;
  s.KD = 3;  // a window deeper than the unpadded input
  std::vector<float> w(3, 1.0f);
  EXPECT_THROW(Conv3d(s, w.data(), nullptr, Activation{}), InputError);
}

}  // namespace
}  // namespace sinter
