// Pooling gradients: every ISA tier's kernels (isa_tiers.h) and the dispatcher (1 and 2 threads)
// against the plain loops over window
// sizes, strides (tiling and overlapping), asymmetric pads, dilations, ceil_mode and
// count_include_pad, on inputs with ties and NaNs. Exact: both add the same shares in the same
// order, and a max window's pick follows one rule.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <string>
#include <vector>

#include "isa_tiers.h"
#include "kernels/pool/pool2d_backward.h"

namespace sinter::kernels {
namespace {

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string describe(const Pool2dParams& p) {
  return std::to_string(p.planes()) + "x" + std::to_string(p.in_h) + "x" + std::to_string(p.in_w) +
         " k" + std::to_string(p.kernel_h) + "x" + std::to_string(p.kernel_w) + " s" +
         std::to_string(p.stride_h) + "x" + std::to_string(p.stride_w) + " pad " +
         std::to_string(p.pad_top) + "," + std::to_string(p.pad_left) + "," +
         std::to_string(p.pad_bottom) + "," + std::to_string(p.pad_right) + " dil " +
         std::to_string(p.dilation_h) + " ceil " + std::to_string(p.ceil_mode) + " incl " +
         std::to_string(p.count_include_pad);
}

std::vector<Pool2dParams> cases() {
  std::vector<Pool2dParams> out;
  for (int64_t h : {1, 2, 5, 8, 13, 28})
    for (int64_t w : {1, 3, 8, 14, 17})
      for (int64_t kh : {1, 2, 3})
        for (int64_t kw : {1, 2, 3})
          for (int64_t s : {1, 2, 3})
            for (int64_t pad : {0, 1})
              for (int64_t dil : {1, 2})
                for (bool ceil : {false, true})
                  for (bool include : {false, true}) {
                    if (pad >= kh || pad >= kw) continue;  // ONNX: pads smaller than the window
                    Pool2dParams p;
                    p.batch = 2, p.channels = 3, p.in_h = h, p.in_w = w;
                    p.kernel_h = kh, p.kernel_w = kw, p.stride_h = s, p.stride_w = kw == 3 ? 3 : s;
                    p.pad_top = p.pad_left = pad;
                    p.pad_bottom = (h + w) % 2 ? pad : 0;  // asymmetric half the time
                    p.pad_right = pad;
                    p.dilation_h = p.dilation_w = dil;
                    p.ceil_mode = ceil;
                    p.count_include_pad = include;
                    if (p.out_h() <= 0 || p.out_w() <= 0) continue;
                    out.push_back(p);
                  }
  // Batches large enough to split over the pool.
  for (int64_t k : {2, 3}) {
    Pool2dParams p;
    p.batch = 8, p.channels = 32, p.in_h = p.in_w = 28;
    p.kernel_h = p.kernel_w = p.stride_h = p.stride_w = k;
    out.push_back(p);
    p.stride_h = p.stride_w = 1, p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
    out.push_back(p);
  }
  return out;
}

// Small whole numbers, so that windows hold ties, and a NaN now and then.
std::vector<float> values(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> d(-3, 3);
  std::vector<float> v(n);
  for (int64_t i = 0; i < n; ++i) v[i] = i % 37 == 5 ? std::nanf("") : float(d(gen));
  return v;
}

TEST(Pool2dBackward, MatchesReference) {
  ThreadPool pool(2);
  const std::vector<Pool2dParams> all = cases();
  ASSERT_GT(all.size(), 1000u);
  for (const Pool2dParams& p : all) {
    SCOPED_TRACE(describe(p));
    const int64_t in = p.planes() * p.in_h * p.in_w, out = p.planes() * p.out_h() * p.out_w();
    const std::vector<float> x = values(in, 1), dy = values(out, 2);
    for (bool is_max : {true, false}) {
      std::vector<float> want(in, 7.0f), serial(in, 7.0f), threaded(in, 7.0f);
      if (is_max) {
        max_pool2d_backward_reference(p, x.data(), dy.data(), want.data());
        max_pool2d_backward(p, x.data(), dy.data(), serial.data());
        max_pool2d_backward(p, x.data(), dy.data(), threaded.data(), &pool);
      } else {
        avg_pool2d_backward_reference(p, dy.data(), want.data());
        avg_pool2d_backward(p, dy.data(), serial.data());
        avg_pool2d_backward(p, dy.data(), threaded.data(), &pool);
      }
      for (int64_t i = 0; i < in; ++i) {
        ASSERT_TRUE(same(serial[i], want[i]))
            << (is_max ? "max" : "avg") << " at " << i << ": " << serial[i] << " vs " << want[i];
        ASSERT_TRUE(same(threaded[i], want[i])) << (is_max ? "max" : "avg") << " at " << i;
      }
      for (Isa isa : tested_isas()) {
        if (!pool_backward_kernels().has(isa)) continue;
        const PoolBackwardKernels& k = pool_backward_kernels().at(isa);
        std::vector<float> got(in, 7.0f);
        if (is_max) {
          k.max_pool2d_backward(p, x.data(), dy.data(), got.data(), 0, p.planes());
        } else {
          k.avg_pool2d_backward(p, dy.data(), got.data(), 0, p.planes());
        }
        for (int64_t i = 0; i < in; ++i)
          ASSERT_TRUE(same(got[i], want[i])) << (is_max ? "max" : "avg") << " " << isa_name(isa)
                                             << " at " << i << ": " << got[i] << " vs " << want[i];
      }
    }
  }
}

}  // namespace
}  // namespace sinter::kernels
