#include "kernels/conv/conv3d.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "core/error.h"
#include "core/tensor.h"

namespace sinter {

namespace {

// The 2-D problem every tap solves: the batch is N OD planes.
Conv2dShape tap_shape(const Conv3dShape& s) {
  Conv2dShape p = s.plane;
  p.N = s.plane.N * s.OD();
  return p;
}

// w [M, Cg, KD, KH, KW] -> tap kd's [M, Cg, KH, KW].
std::vector<float> tap_weights(const Conv3dShape& s, const float* w, int64_t kd) {
  const int64_t rows = s.plane.M * (s.plane.C / s.plane.group), taps = s.plane.KH * s.plane.KW;
  std::vector<float> out(static_cast<size_t>(rows * taps));
  for (int64_t r = 0; r < rows; ++r)
    std::memcpy(out.data() + r * taps, w + (r * s.KD + kd) * taps, sizeof(float) * taps);
  return out;
}

}  // namespace

void Conv3dShape::validate() const {
  plane.validate();
  if (D < 1 || KD < 1 || stride_d < 1 || dilation_d < 1 || pad_front < 0 || pad_back < 0 ||
      OD() < 1)
    throw InputError(cat("conv3d: invalid depth D=", D, " kernel=", KD, " stride=", stride_d,
                         " pads=", pad_front, ",", pad_back, " dilation=", dilation_d));
}

void conv3d_reference(const Conv3dShape& s, const float* x, const float* w, const float* bias,
                      const float* residual, const Activation& act, float* y) {
  s.validate();
  const Conv2dShape& p = s.plane;
  const int64_t OD = s.OD(), OH = p.OH(), OW = p.OW(), Cg = p.C / p.group, Mg = p.M / p.group;
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t m = 0; m < p.M; ++m)
      for (int64_t od = 0; od < OD; ++od)
        for (int64_t oh = 0; oh < OH; ++oh)
          for (int64_t ow = 0; ow < OW; ++ow) {
            double acc = bias ? bias[m] : 0.0;
            for (int64_t c = 0; c < Cg; ++c)
              for (int64_t kd = 0; kd < s.KD; ++kd) {
                const int64_t id = od * s.stride_d - s.pad_front + kd * s.dilation_d;
                if (id < 0 || id >= s.D) continue;
                for (int64_t kh = 0; kh < p.KH; ++kh) {
                  const int64_t ih = oh * p.stride_h - p.pad_top + kh * p.dilation_h;
                  if (ih < 0 || ih >= p.H) continue;
                  for (int64_t kw = 0; kw < p.KW; ++kw) {
                    const int64_t iw = ow * p.stride_w - p.pad_left + kw * p.dilation_w;
                    if (iw < 0 || iw >= p.W) continue;
                    const int64_t ci = (m / Mg) * Cg + c;
                    acc += static_cast<double>(
                               x[(((n * p.C + ci) * s.D + id) * p.H + ih) * p.W + iw]) *
                           w[(((m * Cg + c) * s.KD + kd) * p.KH + kh) * p.KW + kw];
                  }
                }
              }
            const int64_t o = (((n * p.M + m) * OD + od) * OH + oh) * OW + ow;
            float v = static_cast<float>(acc);
            if (residual) v += residual[o];
            y[o] = act.apply(v);
          }
}

Conv3d::Conv3d(const Conv3dShape& s, const float* w, const float* bias, const Activation& act)
    : s_(s), act_(act) {
  s.validate();
  const Conv2dShape p = tap_shape(s);
  taps_.reserve(static_cast<size_t>(s.KD));
  for (int64_t kd = 0; kd < s.KD; ++kd)
    taps_.emplace_back(p, tap_weights(s, w, kd).data(), kd == 0 ? bias : nullptr, Activation{});
}

void Conv3d::run(const float* x, float* y, const float* residual, ThreadPool* pool) const {
  const Conv2dShape& p = s_.plane;
  const int64_t OD = s_.OD(), plane_in = p.H * p.W, plane_out = p.OH() * p.OW();
  const int64_t batch = p.N * OD;
  // Tensors, so that the buffers count against the memory limit.
  Tensor planes_t(DType::kFloat32, {batch, p.C, plane_in});
  Tensor acc_t(DType::kFloat32, {batch, p.M, plane_out}),
      next_t(DType::kFloat32, {batch, p.M, plane_out});
  float* planes = planes_t.data<float>();
  float* acc = acc_t.data<float>();
  float* next = next_t.data<float>();
  for (int64_t kd = 0; kd < s_.KD; ++kd) {
    // The input planes tap kd reads for every (n, od), zeros where it reads the depth padding.
    for (int64_t n = 0; n < p.N; ++n)
      for (int64_t od = 0; od < OD; ++od) {
        const int64_t id = od * s_.stride_d - s_.pad_front + kd * s_.dilation_d;
        float* to = planes + (n * OD + od) * p.C * plane_in;
        for (int64_t c = 0; c < p.C; ++c) {
          if (id < 0 || id >= s_.D) {
            std::fill(to + c * plane_in, to + (c + 1) * plane_in, 0.0f);
          } else {
            std::memcpy(to + c * plane_in, x + ((n * p.C + c) * s_.D + id) * plane_in,
                        sizeof(float) * plane_in);
          }
        }
      }
    taps_[static_cast<size_t>(kd)].run(planes, kd == 0 ? acc : next, kd == 0 ? nullptr : acc, pool);
    if (kd > 0) std::swap(acc, next);
  }
  // [N, OD, M, plane] -> [N, M, OD, plane], with the residual and the activation.
  for (int64_t n = 0; n < p.N; ++n)
    for (int64_t m = 0; m < p.M; ++m)
      for (int64_t od = 0; od < OD; ++od) {
        const float* from = acc + ((n * OD + od) * p.M + m) * plane_out;
        const int64_t o = ((n * p.M + m) * OD + od) * plane_out;
        for (int64_t i = 0; i < plane_out; ++i) {
          const float v = residual ? from[i] + residual[o + i] : from[i];
          y[o + i] = act_.apply(v);
        }
      }
}

}  // namespace sinter
