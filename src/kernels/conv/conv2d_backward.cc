#include "kernels/conv/conv2d_backward.h"

#include <algorithm>
#include <vector>

#include "kernels/gemm/sgemm.h"

namespace sinter {

namespace {

// Calls fn(row, c, ih, iw, col) for every (kernel row of one group's channel block, output pixel)
// pair whose input pixel lies inside the image; row = (c*KH + kh)*KW + kw, col = oh*OW + ow.
template <class Fn>
void for_each_tap(const Conv2dShape& s, int64_t channels, Fn fn) {
  const int64_t OH = s.OH(), OW = s.OW();
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t kh = 0; kh < s.KH; ++kh)
      for (int64_t kw = 0; kw < s.KW; ++kw) {
        const int64_t row = (c * s.KH + kh) * s.KW + kw;
        for (int64_t oh = 0; oh < OH; ++oh) {
          const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
          if (ih < 0 || ih >= s.H) continue;
          for (int64_t ow = 0; ow < OW; ++ow) {
            const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
            if (iw >= 0 && iw < s.W) fn(row, c, ih, iw, oh * OW + ow);
          }
        }
      }
}

// cols [Cg*KH*KW, OH*OW] of one image's channel block (zeros where the window is in padding).
void im2col(const Conv2dShape& s, const float* x, float* cols) {
  const int64_t Cg = s.C / s.group, P = s.OH() * s.OW();
  std::fill(cols, cols + Cg * s.KH * s.KW * P, 0.0f);
  for_each_tap(s, Cg, [&](int64_t row, int64_t c, int64_t ih, int64_t iw, int64_t col) {
    cols[row * P + col] = x[(c * s.H + ih) * s.W + iw];
  });
}

// dx (one image's channel block) += cols scattered back to their input pixels.
void col2im(const Conv2dShape& s, const float* cols, float* dx) {
  const int64_t Cg = s.C / s.group, P = s.OH() * s.OW();
  for_each_tap(s, Cg, [&](int64_t row, int64_t c, int64_t ih, int64_t iw, int64_t col) {
    dx[(c * s.H + ih) * s.W + iw] += cols[row * P + col];
  });
}

}  // namespace

void conv2d_backward_data(const Conv2dShape& s, const float* dy, const float* w, float* dx,
                          ThreadPool* pool) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, P = s.OH() * s.OW();
  const int64_t K = Cg * s.KH * s.KW;
  std::vector<float> cols(static_cast<size_t>(K * P));
  std::fill(dx, dx + s.N * s.C * s.H * s.W, 0.0f);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t g = 0; g < s.group; ++g) {
      // cols [K, P] = W_g^T [K, Mg] x dY_g [Mg, P]
      sgemm(true, false, K, P, Mg, 1.0f, w + g * Mg * K, K, dy + (n * s.M + g * Mg) * P, P, 0.0f,
            cols.data(), P, {}, pool);
      col2im(s, cols.data(), dx + (n * s.C + g * Cg) * s.H * s.W);
    }
}

void conv2d_backward_weight(const Conv2dShape& s, const float* x, const float* dy, float* dw,
                            ThreadPool* pool) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, P = s.OH() * s.OW();
  const int64_t K = Cg * s.KH * s.KW;
  std::vector<float> cols(static_cast<size_t>(K * P));
  for (int64_t g = 0; g < s.group; ++g)
    for (int64_t n = 0; n < s.N; ++n) {
      im2col(s, x + (n * s.C + g * Cg) * s.H * s.W, cols.data());
      // dW_g [Mg, K] (+)= dY_g [Mg, P] x cols^T [P, K]
      sgemm(false, true, Mg, K, P, 1.0f, dy + (n * s.M + g * Mg) * P, P, cols.data(), P,
            n == 0 ? 0.0f : 1.0f, dw + g * Mg * K, K, {}, pool);
    }
}

void conv2d_backward_data_reference(const Conv2dShape& s, const float* dy, const float* w,
                                    float* dx) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, OH = s.OH(), OW = s.OW();
  std::fill(dx, dx + s.N * s.C * s.H * s.W, 0.0f);
  for (int64_t n = 0; n < s.N; ++n)
    for (int64_t m = 0; m < s.M; ++m) {
      const int64_t g = m / Mg;
      for (int64_t c = 0; c < Cg; ++c)
        for (int64_t kh = 0; kh < s.KH; ++kh)
          for (int64_t kw = 0; kw < s.KW; ++kw) {
            const float wv = w[((m * Cg + c) * s.KH + kh) * s.KW + kw];
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                dx[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw] +=
                    wv * dy[((n * s.M + m) * OH + oh) * OW + ow];
              }
          }
    }
}

void conv2d_backward_weight_reference(const Conv2dShape& s, const float* x, const float* dy,
                                      float* dw) {
  const int64_t Cg = s.C / s.group, Mg = s.M / s.group, OH = s.OH(), OW = s.OW();
  for (int64_t m = 0; m < s.M; ++m) {
    const int64_t g = m / Mg;
    for (int64_t c = 0; c < Cg; ++c)
      for (int64_t kh = 0; kh < s.KH; ++kh)
        for (int64_t kw = 0; kw < s.KW; ++kw) {
          double sum = 0.0;
          for (int64_t n = 0; n < s.N; ++n)
            for (int64_t oh = 0; oh < OH; ++oh)
              for (int64_t ow = 0; ow < OW; ++ow) {
                const int64_t ih = oh * s.stride_h - s.pad_top + kh * s.dilation_h;
                const int64_t iw = ow * s.stride_w - s.pad_left + kw * s.dilation_w;
                if (ih < 0 || ih >= s.H || iw < 0 || iw >= s.W) continue;
                sum += static_cast<double>(x[((n * s.C + g * Cg + c) * s.H + ih) * s.W + iw]) *
                       dy[((n * s.M + m) * OH + oh) * OW + ow];
              }
          dw[((m * Cg + c) * s.KH + kh) * s.KW + kw] = static_cast<float>(sum);
        }
  }
}

}  // namespace sinter
