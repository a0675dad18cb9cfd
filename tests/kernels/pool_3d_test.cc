// 3-D pooling: the two passes of 2-D kernels (at every ISA tier, serial and on 1 and 2 threads)
// against the direct 3-D reference over random windows, strides, dilations, asymmetric pads,
// ceil_mode and count_include_pad, plus hand-picked geometries. Max pooling is exact (maxima of
// maxima, NaN kept); average pooling divides twice (per plane, then per depth window) where the
// reference divides once, so it agrees within a few roundings.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "core/isa.h"
#include "isa_tiers.h"
#include "kernels/pool/pool3d.h"

namespace sinter::kernels {
namespace {

struct AxisWindow {
  int64_t in, kernel, stride, dilation, pad_begin, pad_end;
};

Pool3dParams params(int64_t n, int64_t c, AxisWindow d, AxisWindow h, AxisWindow w, bool ceil,
                    bool include_pad) {
  Pool3dParams p;
  p.in_d = d.in, p.kernel_d = d.kernel, p.stride_d = d.stride, p.dilation_d = d.dilation;
  p.pad_front = d.pad_begin, p.pad_back = d.pad_end;
  Pool2dParams& q = p.plane;
  q.batch = n, q.channels = c;
  q.in_h = h.in, q.kernel_h = h.kernel, q.stride_h = h.stride, q.dilation_h = h.dilation;
  q.pad_top = h.pad_begin, q.pad_bottom = h.pad_end;
  q.in_w = w.in, q.kernel_w = w.kernel, q.stride_w = w.stride, q.dilation_w = w.dilation;
  q.pad_left = w.pad_begin, q.pad_right = w.pad_end;
  q.ceil_mode = ceil;
  q.count_include_pad = include_pad;
  return p;
}

// A window along one axis that fits its padded input, with pads smaller than its extent (as the
// ops require).
AxisWindow random_axis(std::mt19937& rng, int64_t max_in) {
  for (;;) {
    AxisWindow a;
    a.in = 1 + rng() % max_in;
    a.kernel = 1 + rng() % 4;
    a.dilation = 1 + rng() % 2;
    a.stride = 1 + rng() % 3;
    const int64_t extent = (a.kernel - 1) * a.dilation + 1;
    a.pad_begin = rng() % extent;
    a.pad_end = rng() % extent;
    if (a.in + a.pad_begin + a.pad_end >= extent) return a;
  }
}

std::vector<Pool3dParams> cases() {
  std::vector<Pool3dParams> out;
  for (bool ceil : {false, true})
    for (bool include : {false, true}) {
      // The conformance tests' and PyTorch's common windows.
      out.push_back(params(1, 3, {32, 2, 2, 1, 0, 0}, {32, 2, 2, 1, 0, 0}, {32, 2, 2, 1, 0, 0},
                           ceil, include));
      out.push_back(params(2, 4, {8, 3, 2, 1, 1, 1}, {20, 3, 2, 1, 1, 1}, {21, 3, 2, 1, 1, 1}, ceil,
                           include));
      out.push_back(params(1, 2, {16, 3, 1, 1, 0, 0}, {13, 3, 1, 1, 1, 1}, {50, 3, 1, 1, 1, 1},
                           ceil, include));
      // One pass only: a plane window (C3D's first pool), a depth window.
      out.push_back(params(1, 3, {8, 1, 1, 1, 0, 0}, {28, 2, 2, 1, 0, 0}, {28, 2, 2, 1, 0, 0}, ceil,
                           include));
      out.push_back(
          params(2, 2, {9, 3, 2, 1, 1, 0}, {5, 1, 1, 1, 0, 0}, {6, 1, 1, 1, 0, 0}, ceil, include));
      // Windows that ceil_mode runs past the input and past the padding.
      out.push_back(
          params(1, 2, {6, 2, 2, 1, 0, 1}, {7, 3, 2, 1, 1, 0}, {9, 2, 3, 1, 1, 1}, ceil, include));
      // Mostly padding, and dilations.
      out.push_back(
          params(1, 1, {3, 5, 1, 1, 4, 4}, {4, 3, 2, 2, 4, 3}, {2, 9, 1, 1, 8, 8}, ceil, include));
    }
  std::mt19937 rng(5);
  for (int i = 0; i < 300; ++i)
    out.push_back(params(1 + rng() % 2, 1 + rng() % 3, random_axis(rng, 9), random_axis(rng, 11),
                         random_axis(rng, 13), rng() % 2, rng() % 2));
  return out;
}

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }
bool close(float a, float b) {
  return same(a, b) || std::abs(a - b) <= 1e-6f + 1e-5f * std::abs(b);
}

std::string describe(const Pool3dParams& p) {
  const Pool2dParams& q = p.plane;
  return "in " + std::to_string(p.in_d) + "x" + std::to_string(q.in_h) + "x" +
         std::to_string(q.in_w) + " k " + std::to_string(p.kernel_d) + "x" +
         std::to_string(q.kernel_h) + "x" + std::to_string(q.kernel_w) + " s " +
         std::to_string(p.stride_d) + "," + std::to_string(q.stride_h) + "," +
         std::to_string(q.stride_w) + " dil " + std::to_string(p.dilation_d) + "," +
         std::to_string(q.dilation_h) + "," + std::to_string(q.dilation_w) + " pads " +
         std::to_string(p.pad_front) + "/" + std::to_string(p.pad_back) + "," +
         std::to_string(q.pad_top) + "/" + std::to_string(q.pad_bottom) + "," +
         std::to_string(q.pad_left) + "/" + std::to_string(q.pad_right) + " ceil " +
         std::to_string(q.ceil_mode) + " incl " + std::to_string(q.count_include_pad);
}

TEST(Pool3d, TwoPassesMatchReference) {
  const Isa saved = active_isa();
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> dist(-5.0f, 5.0f);
  ThreadPool pool1(1), pool2(2);
  Tensor scratch;
  for (const Pool3dParams& p : cases()) {
    const Pool2dParams& q = p.plane;
    const int64_t in_n = q.planes() * p.in_d * q.in_h * q.in_w;
    const int64_t out_n = q.planes() * p.out_d() * q.out_h() * q.out_w();
    ASSERT_GT(out_n, 0) << describe(p);
    std::vector<float> x(in_n);
    for (auto& v : x) v = dist(rng);
    if (in_n > 4) x[in_n / 3] = std::nanf("");  // max pooling keeps it, as the reference
    for (bool is_max : {true, false}) {
      std::vector<float> want(out_n), got(out_n);
      (is_max ? max_pool3d_reference : avg_pool3d_reference)(p, x.data(), want.data());
      for (Isa isa : tested_isas()) {
        set_isa_cap(isa);
        for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool1, &pool2}) {
          std::fill(got.begin(), got.end(), -777.0f);
          (is_max ? max_pool3d : avg_pool3d)(p, x.data(), got.data(), scratch, pool);
          for (int64_t i = 0; i < out_n; ++i)
            ASSERT_TRUE(is_max ? same(got[i], want[i]) : close(got[i], want[i]))
                << (is_max ? "max " : "avg ") << isa_name(isa) << " threads "
                << (pool ? pool->num_threads() : 0) << " " << describe(p) << " at " << i << " got "
                << got[i] << " want " << want[i];
        }
      }
      set_isa_cap(saved);
    }
  }
}

// The divisor of a window is the product of its per-axis counts: with all inputs 1, an average
// is the share of the window's counted taps that lie inside the input.
TEST(Pool3d, AverageDivisorsMultiplyPerAxis) {
  Tensor scratch;
  const Pool3dParams p = params(1, 1, {3, 3, 2, 1, 1, 1}, {4, 2, 3, 1, 1, 1}, {2, 3, 1, 1, 2, 2},
                                /*ceil=*/true, /*include_pad=*/true);
  const int64_t out_n = p.out_d() * p.plane.out_h() * p.plane.out_w();
  std::vector<float> x(p.in_d * p.plane.in_h * p.plane.in_w, 1.0f), got(out_n), want(out_n);
  avg_pool3d(p, x.data(), got.data(), scratch);
  avg_pool3d_reference(p, x.data(), want.data());
  // Depth: windows at -1 (taps -1, 0, 1: 2 inside, 3 counted) and 1 (1, 2, 3: 2 inside, 3
  // counted); the window at 3 would start in the padding and is dropped.
  ASSERT_EQ(p.out_d(), 2);
  for (int64_t i = 0; i < out_n; ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
  EXPECT_NEAR(want[0], (2.0f / 3) * (1.0f / 2) * (1.0f / 3), 1e-6f);
}

}  // namespace
}  // namespace sinter::kernels
