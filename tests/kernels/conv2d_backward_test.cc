// The GEMM-based convolution gradients against their plain-loop twins over random shapes.
#include "kernels/conv/conv2d_backward.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/thread_pool.h"

namespace sinter {
namespace {

std::vector<float> random_vec(std::mt19937& rng, int64_t n) {
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, float tol) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) ASSERT_NEAR(got[i], want[i], tol) << "at " << i;
}

TEST(Conv2dBackward, MatchesReferenceOverRandomShapes) {
  std::mt19937 rng(5);
  ThreadPool two(2);
  for (int it = 0; it < 80; ++it) {
    Conv2dShape s;
    s.group = 1 + rng() % 3;
    s.N = 1 + rng() % 3;
    s.C = s.group * (1 + rng() % 4);
    s.M = s.group * (1 + rng() % 5);
    s.KH = 1 + rng() % 3;
    s.KW = 1 + rng() % 3;
    s.stride_h = 1 + rng() % 2;
    s.stride_w = 1 + rng() % 3;
    s.dilation_h = 1 + rng() % 2;
    s.dilation_w = 1 + rng() % 2;
    s.pad_top = rng() % 3;
    s.pad_left = rng() % 3;
    s.pad_bottom = rng() % 3;
    s.pad_right = rng() % 3;
    s.H = s.dilation_h * (s.KH - 1) + 1 + rng() % 8;
    s.W = s.dilation_w * (s.KW - 1) + 1 + rng() % 9;
    if (s.OH() <= 0 || s.OW() <= 0) continue;
    const int64_t x_n = s.N * s.C * s.H * s.W, y_n = s.N * s.M * s.OH() * s.OW();
    const int64_t w_n = s.M * (s.C / s.group) * s.KH * s.KW;
    auto x = random_vec(rng, x_n), dy = random_vec(rng, y_n), w = random_vec(rng, w_n);
    std::vector<float> dx(x_n, NAN), dx_ref(x_n), dw(w_n, NAN), dw_ref(w_n);
    ThreadPool* pool = it % 2 ? &two : nullptr;
    conv2d_backward_data(s, dy.data(), w.data(), dx.data(), pool);
    conv2d_backward_data_reference(s, dy.data(), w.data(), dx_ref.data());
    conv2d_backward_weight(s, x.data(), dy.data(), dw.data(), pool);
    conv2d_backward_weight_reference(s, x.data(), dy.data(), dw_ref.data());
    SCOPED_TRACE(testing::Message() << "N=" << s.N << " C=" << s.C << " M=" << s.M
                                    << " g=" << s.group << " k=" << s.KH << "x" << s.KW);
    expect_close(dx, dx_ref, 1e-4f * std::sqrt(static_cast<float>(s.M * s.KH * s.KW)));
    expect_close(dw, dw_ref, 1e-4f * std::sqrt(static_cast<float>(y_n)));
  }
}

}  // namespace
}  // namespace sinter
