// Pooling: every ISA tier's kernels (isa_tiers.h) and the dispatcher (1 and 2 threads) against the
// reference loops over kernels, strides, asymmetric pads, dilations, ceil_mode, count_include_pad,
// and windows and pads far larger than the input. Tolerance: exact for max and average pooling
// (same additions in the same order; padding adds exact zeros), 1e-6 relative for global average
// pooling (float partial sums vs a double sum).
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "isa_tiers.h"
#include "kernels/pool/pool2d.h"

namespace sinter::kernels {
namespace {

bool same(float a, float b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::vector<Pool2dParams> cases() {
  std::vector<Pool2dParams> out;
  auto add = [&](int64_t n, int64_t c, int64_t h, int64_t w, int64_t k, int64_t s,
                 std::array<int64_t, 4> pads, bool ceil, int64_t kw = 0, int64_t dil = 1) {
    for (bool include : {false, true}) {
      Pool2dParams p;
      p.batch = n, p.channels = c, p.in_h = h, p.in_w = w;
      p.kernel_h = k, p.kernel_w = kw ? kw : k, p.stride_h = p.stride_w = s;
      p.pad_top = pads[0], p.pad_left = pads[1], p.pad_bottom = pads[2], p.pad_right = pads[3];
      p.dilation_h = p.dilation_w = dil;
      p.ceil_mode = ceil;
      p.count_include_pad = include;
      out.push_back(p);
    }
  };
  add(1, 3, 112, 112, 3, 2, {1, 1, 1, 1}, false);  // resnet
  add(1, 4, 224, 224, 2, 2, {0, 0, 0, 0}, false);  // vgg
  add(1, 3, 111, 111, 3, 2, {0, 0, 0, 0}, true);   // squeezenet
  add(1, 5, 55, 55, 3, 2, {0, 0, 0, 0}, true);
  add(2, 3, 27, 27, 3, 2, {0, 0, 0, 0}, true);
  add(1, 2, 13, 13, 3, 2, {1, 1, 1, 1}, true);
  add(1, 2, 7, 9, 3, 1, {1, 1, 1, 1}, false);
  add(1, 2, 10, 17, 2, 2, {0, 1, 1, 0}, true);  // asymmetric pads
  add(2, 2, 9, 11, 3, 2, {2, 0, 1, 2}, true);
  add(1, 3, 8, 8, 5, 1, {2, 2, 2, 2}, false);
  add(1, 1, 1, 1, 1, 1, {0, 0, 0, 0}, false);
  add(1, 2, 20, 23, 3, 2, {1, 1, 1, 1}, true, 2);      // non-square kernel
  add(1, 2, 20, 23, 4, 3, {1, 2, 1, 0}, true);         // stride 3: reference path
  add(1, 2, 15, 16, 3, 1, {1, 1, 1, 1}, false, 0, 2);  // dilation: reference path
  add(1, 3, 33, 5, 3, 2, {1, 1, 1, 1}, true);
  add(1, 3, 30, 45, 3, 1, {1, 1, 1, 1}, false);  // rows of 2 vectors of 16 and a ragged end
  add(2, 2, 14, 14, 2, 2, {0, 0, 0, 0}, false);  // 7-wide output: one masked vector a row
  add(1, 2, 19, 70, 3, 2, {0, 1, 2, 1}, true, 2);
  add(1, 2, 5, 4, 9, 1, {4, 4, 4, 4}, false);           // windows wider than the input
  add(1, 2, 5, 3, 300, 7, {150, 149, 149, 150}, true);  // mostly padding
  add(1, 1, 6, 7, 4, 3, {3, 2, 3, 3}, true, 0, 3);      // dilation with pads
  add(2, 1, 3, 2, 1, 5, {0, 0, 0, 0}, false, 0, 1000);  // dilation wider than the input
  return out;
}

TEST(Pool2d, MatchesReference) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> dist(-5.0f, 5.0f);
  ThreadPool pool1(1), pool2(2);
  for (const Pool2dParams& p : cases()) {
    const int64_t in_n = p.planes() * p.in_h * p.in_w, out_n = p.planes() * p.out_h() * p.out_w();
    ASSERT_GT(out_n, 0);
    std::vector<float> x(in_n);
    for (auto& v : x) v = dist(rng);
    x[x.size() / 3] = std::nanf("");  // one NaN: max pooling must propagate it as the reference
    // An inf above a -inf: the AVX-512 max kernel's NaN probe (a running sum) sees NaN there
    // and redoes the plane exactly; the result must not change.
    const size_t at = x.size() / 5;
    x[at] = INFINITY;
    if (at + static_cast<size_t>(p.in_w) < x.size())
      x[at + static_cast<size_t>(p.in_w)] = -INFINITY;
    for (bool is_max : {true, false}) {
      std::vector<float> want(out_n), got(out_n);
      (is_max ? max_pool2d_reference : avg_pool2d_reference)(p, x.data(), want.data());
      // Variants: each tested tier's kernel on all planes (if it runs this shape), then the
      // dispatcher serial, on one thread and on two.
      const int tiers = static_cast<int>(tested_isas().size());
      for (int variant = 0; variant < tiers + 3; ++variant) {
        std::fill(got.begin(), got.end(), -777.0f);
        std::string name;
        if (variant < tiers) {
          const Isa isa = tested_isas()[static_cast<size_t>(variant)];
          if (!pool_kernels().has(isa)) continue;
          const PoolKernels& k = pool_kernels().at(isa);
          if (!k.supports(p)) continue;
          name = isa_name(isa);
          (is_max ? k.max_pool2d : k.avg_pool2d)(p, x.data(), got.data(), 0, p.planes());
        } else {
          const int threads = variant - tiers;
          name = "dispatch, threads " + std::to_string(threads);
          ThreadPool* pool = threads == 0 ? nullptr : threads == 1 ? &pool1 : &pool2;
          (is_max ? max_pool2d : avg_pool2d)(p, x.data(), got.data(), pool);
        }
        for (int64_t i = 0; i < out_n; ++i)
          ASSERT_TRUE(same(got[i], want[i]))
              << (is_max ? "max" : "avg") << " " << name << " in " << p.in_h << "x" << p.in_w
              << " k" << p.kernel_h << "x" << p.kernel_w << " s" << p.stride_h << " ceil "
              << p.ceil_mode << " incl " << p.count_include_pad << " at " << i << " got " << got[i]
              << " want " << want[i];
      }
    }
  }
}

// Planes further apart than their size (a band of rows of a larger map, pooled in place): every
// tier's kernels and the reference read and write only each plane's own rows.
TEST(Pool2d, StridedPlanesMatchPackedOnes) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> dist(-5.0f, 5.0f);
  for (const Pool2dParams& packed : cases()) {
    Pool2dParams p = packed;
    const int64_t in = p.in_h * p.in_w, out = p.out_h() * p.out_w();
    p.in_plane = in + 7;
    p.out_plane = out + 5;
    std::vector<float> x(p.planes() * in), xs(p.planes() * p.in_plane, NAN);
    for (auto& v : x) v = dist(rng);
    for (int64_t c = 0; c < p.planes(); ++c)
      std::copy(x.begin() + c * in, x.begin() + (c + 1) * in, xs.begin() + c * p.in_plane);
    for (bool is_max : {true, false}) {
      std::vector<float> want(p.planes() * out);
      (is_max ? max_pool2d_reference : avg_pool2d_reference)(packed, x.data(), want.data());
      std::vector<std::pair<std::string, std::function<void(float*)>>> runs;
      runs.push_back({"reference", [&](float* y) {
                        (is_max ? max_pool2d_reference : avg_pool2d_reference)(p, xs.data(), y);
                      }});
      for (Isa isa : tested_isas()) {
        if (!pool_kernels().has(isa) || !pool_kernels().at(isa).supports(p)) continue;
        const PoolKernels& k = pool_kernels().at(isa);
        runs.push_back({isa_name(isa), [&, k](float* y) {
                          (is_max ? k.max_pool2d : k.avg_pool2d)(p, xs.data(), y, 0, p.planes());
                        }});
      }
      for (const auto& [name, run] : runs) {
        std::vector<float> got(p.planes() * p.out_plane, -777.0f);
        run(got.data());
        for (int64_t c = 0; c < p.planes(); ++c) {
          for (int64_t i = 0; i < out; ++i)
            ASSERT_TRUE(same(got[c * p.out_plane + i], want[c * out + i]))
                << (is_max ? "max " : "avg ") << name << " plane " << c << " at " << i;
          for (int64_t i = out; i < p.out_plane; ++i)
            ASSERT_EQ(got[c * p.out_plane + i], -777.0f) << name << ": wrote between planes";
        }
      }
    }
  }
}

TEST(Pool2d, OutputSizes) {
  EXPECT_EQ(pool_out_size(112, 3, 2, 1, 1, 1, false), 56);
  EXPECT_EQ(pool_out_size(111, 3, 2, 0, 0, 1, true), 55);
  EXPECT_EQ(pool_out_size(13, 3, 2, 0, 0, 1, true), 6);
  EXPECT_EQ(pool_out_size(224, 2, 2, 0, 0, 1, false), 112);
  // ceil_mode drops a window that would start in the padding.
  EXPECT_EQ(pool_out_size(5, 2, 2, 1, 1, 1, true), 3);
  EXPECT_EQ(pool_out_size(6, 2, 2, 0, 0, 1, true), 3);
}

TEST(Pool2d, GlobalMatchesReference) {
  std::mt19937 rng(4);
  std::uniform_real_distribution<float> dist(-3.0f, 3.0f);
  ThreadPool pool2(2);
  for (auto [planes, size] : std::vector<std::pair<int64_t, int64_t>>{{1, 1},
                                                                      {3, 7},
                                                                      {5, 49},
                                                                      {64, 49},
                                                                      {1280, 49},
                                                                      {512, 49},
                                                                      {2, 12544},
                                                                      {7, 33},
                                                                      {3, 17},
                                                                      {2, 69},
                                                                      {4, 100}}) {
    std::vector<float> x(planes * size);
    for (auto& v : x) v = dist(rng);
    if (planes > 2) x[size + size / 2] = std::nanf("");
    std::vector<float> want(planes), got(planes);
    for (bool is_max : {true, false}) {
      (is_max ? global_max_pool_reference : global_avg_pool_reference)(x.data(), want.data(),
                                                                       planes, size);
      const int tiers = static_cast<int>(tested_isas().size());
      for (int variant = 0; variant < tiers + 2; ++variant) {
        std::fill(got.begin(), got.end(), -777.0f);
        if (variant < tiers) {
          const Isa isa = tested_isas()[static_cast<size_t>(variant)];
          if (!pool_kernels().has(isa)) continue;
          const PoolKernels& k = pool_kernels().at(isa);
          (is_max ? k.global_max_pool : k.global_avg_pool)(x.data(), got.data(), planes, size);
        } else {
          (is_max ? global_max_pool : global_avg_pool)(x.data(), got.data(), planes, size,
                                                       variant == tiers + 1 ? &pool2 : nullptr);
        }
        SCOPED_TRACE(::testing::Message() << (is_max ? "max" : "avg") << " variant " << variant
                                          << " planes " << planes << " size " << size);
        for (int64_t i = 0; i < planes; ++i) {
          if (is_max || std::isnan(want[i])) {
            ASSERT_TRUE(same(got[i], want[i])) << "plane " << i;
          } else {
            ASSERT_NEAR(got[i], want[i], 1e-6 * std::fabs(want[i]) + 1e-6) << "plane " << i;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace sinter::kernels
