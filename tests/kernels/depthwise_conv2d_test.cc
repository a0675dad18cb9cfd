// Depthwise convolution: every ISA tier's kernel (isa_tiers.h) that runs a shape, and the
// dispatcher (1 and 2 threads), against the reference over
// mobilenet_v2 shapes and odd ones (asymmetric pads, widths not a multiple of 8, multiplier > 1,
// dilation), with bias, residual and every activation kind. Tolerance: 1e-5 relative + 1e-5
// absolute (the AVX2 and AVX-512 kernels use FMA and sum kernel rows in a different order).
#include "kernels/depthwise/depthwise_conv2d.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "isa_tiers.h"

namespace sinter::kernels {
namespace {

bool close(float got, float want) {
  if (std::isnan(want)) return std::isnan(got);
  return std::fabs(got - want) <= 1e-5f * std::fabs(want) + 1e-5f;
}

DepthwiseConv2dParams make(int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s,
                           std::array<int64_t, 4> pads, int64_t mult = 1, int64_t dil = 1) {
  DepthwiseConv2dParams p;
  p.batch = n, p.channels = c, p.in_h = h, p.in_w = w, p.multiplier = mult;
  p.kernel_h = p.kernel_w = k, p.stride_h = p.stride_w = s;
  p.pad_top = pads[0], p.pad_left = pads[1], p.pad_bottom = pads[2], p.pad_right = pads[3];
  p.dilation_h = p.dilation_w = dil;
  return p;
}

void check(DepthwiseConv2dParams p, bool with_bias, bool with_res, std::mt19937& rng) {
  std::uniform_real_distribution<float> dist(-1.0f, 1.0f);
  const int64_t in_n = p.batch * p.channels * p.in_h * p.in_w;
  const int64_t out_n = p.batch * p.out_channels() * p.out_h() * p.out_w();
  std::vector<float> x(in_n), w(p.out_channels() * p.kernel_h * p.kernel_w), bias(p.out_channels()),
      res(out_n);
  for (auto* v : {&x, &w, &bias, &res})
    for (auto& e : *v) e = dist(rng);
  const float* b = with_bias ? bias.data() : nullptr;
  const float* r = with_res ? res.data() : nullptr;
  std::vector<float> want(out_n), got(out_n);
  depthwise_conv2d_reference(p, x.data(), w.data(), b, r, want.data());
  ThreadPool pool1(1), pool2(2);
  // Variants: each tested tier's kernel on all planes (if it runs this shape), then the
  // dispatcher serial, on one thread, on two, and on two with the residual aliasing the output.
  const int tiers = static_cast<int>(tested_isas().size());
  for (int variant = 0; variant < tiers + 4; ++variant) {
    std::fill(got.begin(), got.end(), -777.0f);
    std::string name;
    if (variant < tiers) {
      const Isa isa = tested_isas()[static_cast<size_t>(variant)];
      if (!depthwise_kernels().has(isa)) continue;
      const DepthwiseKernels& k = depthwise_kernels().at(isa);
      if (!k.supports(p)) continue;
      name = isa_name(isa);
      k.conv2d(p, x.data(), w.data(), b, r, got.data(), 0, p.batch * p.out_channels());
    } else if (variant == tiers + 3) {
      if (!with_res) continue;
      name = "dispatch, residual is the output";
      got = res;
      depthwise_conv2d(p, x.data(), w.data(), b, got.data(), got.data(), &pool2);
    } else {
      const int threads = variant - tiers;
      name = "dispatch, threads " + std::to_string(threads);
      ThreadPool* pool = threads == 0 ? nullptr : threads == 1 ? &pool1 : &pool2;
      depthwise_conv2d(p, x.data(), w.data(), b, r, got.data(), pool);
    }
    for (int64_t i = 0; i < out_n; ++i)
      ASSERT_TRUE(close(got[i], want[i]))
          << name << " c" << p.channels << " " << p.in_h << "x" << p.in_w << " k" << p.kernel_h
          << " s" << p.stride_h << " pads " << p.pad_top << p.pad_left << p.pad_bottom
          << p.pad_right << " act " << int(p.activation.kind) << " at " << i << " got " << got[i]
          << " want " << want[i];
  }
}

TEST(DepthwiseConv2d, MobilenetV2Shapes) {
  std::mt19937 rng(21);
  const std::vector<DepthwiseConv2dParams> shapes = {
      make(1, 32, 112, 112, 3, 1, {1, 1, 1, 1}), make(1, 96, 112, 112, 3, 2, {1, 1, 1, 1}),
      make(1, 144, 56, 56, 3, 1, {1, 1, 1, 1}),  make(1, 144, 56, 56, 3, 2, {1, 1, 1, 1}),
      make(1, 192, 28, 28, 3, 1, {1, 1, 1, 1}),  make(1, 384, 14, 14, 3, 1, {1, 1, 1, 1}),
      make(1, 576, 14, 14, 3, 2, {1, 1, 1, 1}),  make(1, 960, 7, 7, 3, 1, {1, 1, 1, 1}),
      make(1, 96, 56, 56, 7, 1, {3, 3, 3, 3})};  // ConvNeXt-Tiny's first stage
  for (DepthwiseConv2dParams p : shapes) {
    p.activation = Activation::clip(0.0f, 6.0f);
    check(p, true, false, rng);
  }
}

TEST(DepthwiseConv2d, EdgeShapesAndFusions) {
  std::mt19937 rng(22);
  const std::vector<DepthwiseConv2dParams> shapes = {
      make(2, 3, 9, 13, 3, 1, {1, 1, 1, 1}),
      make(1, 5, 10, 17, 3, 2, {0, 1, 1, 0}),
      make(1, 4, 11, 11, 5, 1, {2, 2, 2, 2}),
      make(2, 3, 15, 23, 5, 2, {2, 1, 2, 3}),
      make(1, 2, 3, 3, 3, 1, {1, 1, 1, 1}),
      make(1, 2, 1, 1, 3, 1, {1, 1, 1, 1}),
      make(1, 3, 8, 8, 3, 1, {0, 0, 0, 0}),
      make(1, 3, 16, 5, 3, 2, {0, 0, 0, 0}),
      make(1, 2, 7, 7, 5, 2, {0, 3, 1, 2}),
      make(1, 2, 9, 31, 3, 2, {2, 2, 0, 0}),
      make(1, 3, 6, 40, 3, 1, {1, 1, 1, 1}),
      make(2, 2, 9, 67, 5, 2, {2, 2, 2, 2}),
      make(1, 2, 33, 17, 3, 2, {1, 0, 1, 0}),
      make(1, 2, 4, 2, 3, 1, {1, 1, 1, 1}),
      // Stride 2 read in place: rows one vector block wide and around it, wide left pads.
      make(1, 2, 8, 32, 3, 2, {1, 1, 1, 1}),
      make(1, 2, 9, 33, 3, 2, {2, 2, 2, 2}),
      make(1, 2, 13, 34, 3, 2, {1, 1, 1, 1}),
      make(1, 2, 6, 65, 3, 2, {0, 2, 1, 2}),
      make(1, 2, 2, 1, 3, 2, {1, 1, 1, 1}),
      make(1, 2, 5, 31, 3, 2, {2, 0, 0, 2}),
      make(1, 2, 6, 20, 3, 2, {4, 5, 4, 5}),
      make(1, 2, 9, 40, 5, 2, {6, 3, 1, 7}),
      make(2, 3, 12, 12, 3, 1, {1, 1, 1, 1}, 2),     // channel multiplier: reference path
      make(1, 2, 12, 12, 3, 1, {2, 2, 2, 2}, 1, 2),  // dilation: reference path
      make(1, 2, 12, 10, 7, 3, {3, 3, 3, 3}),        // other kernel/stride: reference path
      // ConvNeXt's 7x7 at stride 1 (AVX-512), ragged and narrow planes, uneven pads.
      make(1, 3, 14, 14, 7, 1, {3, 3, 3, 3}),
      make(2, 2, 7, 7, 7, 1, {3, 3, 3, 3}),
      make(1, 2, 9, 37, 7, 1, {3, 1, 2, 3}),
      make(1, 2, 12, 10, 7, 2, {3, 3, 3, 3}),
  };
  const Activation acts[] = {{ActivationKind::kNone, 0, 0},
                             {ActivationKind::kRelu, 0, 0},
                             {ActivationKind::kClip, 0.0f, 6.0f},
                             {ActivationKind::kSigmoid, 0, 0},
                             {ActivationKind::kHardSigmoid, 0.2f, 0.5f},
                             {ActivationKind::kHardSwish, 0, 0},
                             {ActivationKind::kLeakyRelu, 0.1f, 0}};
  for (DepthwiseConv2dParams p : shapes) {
    for (const Activation& a : acts) {
      p.activation = a;
      for (int fuse = 0; fuse < 4; ++fuse) check(p, fuse & 1, fuse & 2, rng);
    }
  }
}

}  // namespace
}  // namespace sinter::kernels
