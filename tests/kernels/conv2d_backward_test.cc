// The planned convolution gradients against their plain-loop twins over random shapes, for
// every dX and dW algorithm that can run each shape, on every ISA tier with kernels of its own
// (isa_tiers.h).
#include "kernels/conv/conv2d_backward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/error.h"
#include "core/thread_pool.h"
#include "isa_tiers.h"
#include "random_vec.h"

namespace sinter {
namespace {

using testing::random_vec;

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << "at " << i;
}

// Runs both gradients of s (every algorithm that can run it) against the references.
void check_shape(const Conv2dShape& s, std::mt19937& rng, ThreadPool* pool) {
  const int64_t x_n = s.N * s.C * s.H * s.W, y_n = s.N * s.M * s.OH() * s.OW();
  const int64_t w_n = s.M * (s.C / s.group) * s.KH * s.KW;
  auto x = random_vec(rng, x_n), dy = random_vec(rng, y_n), w = random_vec(rng, w_n);
  SCOPED_TRACE(::testing::Message()
               << "N=" << s.N << " C=" << s.C << " M=" << s.M << " g=" << s.group << " HxW=" << s.H
               << "x" << s.W << " k=" << s.KH << "x" << s.KW << " s=" << s.stride_h << ","
               << s.stride_w << " d=" << s.dilation_h << "," << s.dilation_w << " pad=" << s.pad_top
               << "," << s.pad_left << "," << s.pad_bottom << "," << s.pad_right
               << " threads=" << (pool ? pool->num_threads() : 1));
  std::vector<float> dx_ref(x_n), dw_ref(w_n);
  conv2d_backward_data_reference(s, dy.data(), w.data(), dx_ref.data());
  conv2d_backward_weight_reference(s, x.data(), dy.data(), dw_ref.data());
  // Winograd's transforms lose a little more precision than a direct sum.
  const float dx_tol = 2e-4f * std::sqrt(static_cast<float>(s.M * s.KH * s.KW));
  for (Isa isa : tested_isas()) {
    if (!conv_training_kernels().has(isa)) continue;
    SCOPED_TRACE(isa_name(isa));
    for (auto algo : {Conv2dBackwardData::Algorithm::kTransposedConv,
                      Conv2dBackwardData::Algorithm::kTapRowsConv,
                      Conv2dBackwardData::Algorithm::kGemmCol2im}) {
      if ((algo == Conv2dBackwardData::Algorithm::kTransposedConv &&
           !Conv2dBackwardData::supports_transposed_conv(s)) ||
          (algo == Conv2dBackwardData::Algorithm::kTapRowsConv &&
           !Conv2dBackwardData::supports_tap_rows_conv(s, isa)))
        continue;
      std::vector<float> dx(x_n, NAN);
      Conv2dBackwardData(s, algo, isa).run(dy.data(), w.data(), dx.data(), pool);
      SCOPED_TRACE(::testing::Message() << "dX algorithm " << static_cast<int>(algo));
      expect_close(dx, dx_ref, dx_tol);
    }
    for (auto algo : {Conv2dBackwardWeight::Algorithm::kTapRowsDot,
                      Conv2dBackwardWeight::Algorithm::kChannelsLastGemm}) {
      if (algo == Conv2dBackwardWeight::Algorithm::kTapRowsDot &&
          !Conv2dBackwardWeight::supports_tap_rows_dot(s, isa))
        continue;
      std::vector<float> dw(w_n, NAN);
      Conv2dBackwardWeight(s, algo, isa).run(x.data(), dy.data(), dw.data(), pool);
      SCOPED_TRACE(algo == Conv2dBackwardWeight::Algorithm::kTapRowsDot ? "tap rows dot"
                                                                        : "channels-last gemm");
      expect_close(dw, dw_ref, 1e-4f * std::sqrt(static_cast<float>(y_n)));
    }
  }
}

TEST(Conv2dBackward, MatchesReferenceOverRandomShapes) {
  std::mt19937 rng(5);
  ThreadPool two(2), three(3);
  for (int it = 0; it < 160; ++it) {
    Conv2dShape s;
    s.group = 1 + rng() % 3;
    s.N = 1 + rng() % 5;
    s.C = s.group * (1 + rng() % 4);
    s.M = s.group * (1 + rng() % 5);
    s.KH = 1 + rng() % 3;
    s.KW = 1 + rng() % 3;
    // Half of the shapes at stride 1, where dX can run as a forward convolution.
    s.stride_h = it % 2 ? 1 : 1 + rng() % 3;
    s.stride_w = it % 2 ? 1 : 1 + rng() % 3;
    s.dilation_h = 1 + rng() % 2;
    s.dilation_w = 1 + rng() % 2;
    s.pad_top = rng() % 3;
    s.pad_left = rng() % 3;
    s.pad_bottom = rng() % 3;
    s.pad_right = rng() % 3;
    s.H = s.dilation_h * (s.KH - 1) + 1 + rng() % 8;
    s.W = s.dilation_w * (s.KW - 1) + 1 + rng() % 9;
    if (s.OH() <= 0 || s.OW() <= 0) continue;
    ThreadPool* pools[] = {nullptr, &two, &three};
    check_shape(s, rng, pools[it % 3]);
  }
}

// Channel counts of real layers: 16-channel slivers of consecutive taps, ragged ones, the
// Winograd path of the forward convolution (3x3, 32+ channels), stems with one input channel.
TEST(Conv2dBackward, MatchesReferenceOnLayerShapes) {
  std::mt19937 rng(9);
  ThreadPool two(2);
  struct Layer {
    int64_t N, C, M, HW, k, stride, pad, group;
  };
  const Layer layers[] = {
      {3, 32, 32, 16, 3, 1, 1, 1},  // vgg-small conv2 (Winograd dX)
      {2, 32, 64, 9, 3, 1, 1, 1},   // vgg-small conv3
      {2, 1, 32, 10, 3, 1, 1, 1},   // a stem: one input channel
      {4, 1, 6, 12, 5, 1, 2, 1},    // lenet5 conv1
      {3, 6, 16, 9, 5, 1, 0, 1},    // lenet5 conv2
      {2, 24, 40, 7, 3, 2, 1, 1},   // stride 2, channels not a multiple of 16
      {2, 16, 32, 8, 1, 2, 0, 1},   // 1x1 stride 2 projection
      {2, 64, 64, 6, 3, 1, 1, 2},   // grouped, 32 channels per group
      {1, 48, 20, 11, 3, 1, 2, 1},  // one image, padding beyond the kernel's reach on dX
      {5, 17, 33, 6, 2, 1, 0, 1},   // even kernel
  };
  for (const Layer& l : layers) {
    Conv2dShape s;
    s.N = l.N;
    s.C = l.C;
    s.M = l.M;
    s.H = s.W = l.HW;
    s.KH = s.KW = l.k;
    s.stride_h = s.stride_w = l.stride;
    s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = l.pad;
    s.group = l.group;
    check_shape(s, rng, nullptr);
    check_shape(s, rng, &two);
  }
}

// A fixed thread count always gives the same bits: images are summed in fixed ranges.
TEST(Conv2dBackward, WeightGradientIsDeterministic) {
  std::mt19937 rng(3);
  ThreadPool two(2);
  Conv2dShape s;
  s.N = 9;
  s.C = 20;
  s.M = 12;
  s.H = s.W = 10;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  auto x = random_vec(rng, s.N * s.C * s.H * s.W);
  auto dy = random_vec(rng, s.N * s.M * s.OH() * s.OW());
  for (Isa isa : tested_isas())
    for (auto algo : {Conv2dBackwardWeight::Algorithm::kTapRowsDot,
                      Conv2dBackwardWeight::Algorithm::kChannelsLastGemm}) {
      if (!conv_training_kernels().has(isa) ||
          (algo == Conv2dBackwardWeight::Algorithm::kTapRowsDot &&
           !Conv2dBackwardWeight::supports_tap_rows_dot(s, isa)))
        continue;
      const Conv2dBackwardWeight plan(s, algo, isa);
      std::vector<float> first(s.M * s.C * 9), again(first.size());
      plan.run(x.data(), dy.data(), first.data(), &two);
      for (int i = 0; i < 5; ++i) {
        plan.run(x.data(), dy.data(), again.data(), &two);
        ASSERT_EQ(first, again);
      }
    }
}

TEST(Conv2dBackward, RejectsForcedTransposedConvsAtStride2) {
  Conv2dShape s;
  s.C = s.M = 4;
  s.H = s.W = 8;
  s.KH = s.KW = 3;
  s.stride_h = s.stride_w = 2;
  EXPECT_THROW(Conv2dBackwardData(s, Conv2dBackwardData::Algorithm::kTransposedConv),
               UnsupportedError);
  EXPECT_THROW(Conv2dBackwardData(s, Conv2dBackwardData::Algorithm::kTapRowsConv),
               UnsupportedError);
}

}  // namespace
}  // namespace sinter
