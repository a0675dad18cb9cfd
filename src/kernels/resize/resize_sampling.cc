// Where an output coordinate samples the input along one axis: ONNX's coordinate transformations,
// nearest rounding, and the linear and cubic filters (stretched by 1 / scale when antialiasing).
#include <algorithm>
#include <cmath>

#include "kernels/resize/resize.h"

namespace sinter::kernels {

double original_coordinate(const ResizeOptions& opt, const AxisGeometry& a, int64_t o) {
  const double x = static_cast<double>(o);
  const double in = static_cast<double>(a.in);
  // The resized length as the scale gives it, before flooring: ONNX's reference maps
  // align_corners through it, which matters when the scale does not divide evenly.
  const double length = a.scale * in;
  switch (opt.coordinates) {
    case CoordinateMode::kHalfPixel:
      return (x + 0.5) / a.scale - 0.5;
    case CoordinateMode::kHalfPixelSymmetric: {
      // Centres the sampled span when flooring shortened the output.
      const double adjustment = static_cast<double>(a.out) / length;
      const double offset = in / 2 * (1 - adjustment);
      return offset + (x + 0.5) / a.scale - 0.5;
    }
    case CoordinateMode::kPytorchHalfPixel:
      return a.out > 1 ? (x + 0.5) / a.scale - 0.5 : 0.0;
    case CoordinateMode::kAlignCorners:
      return length == 1 ? 0.0 : x * (in - 1) / (length - 1);
    case CoordinateMode::kAsymmetric:
      return x / a.scale;
    case CoordinateMode::kTfHalfPixelForNn:
      return (x + 0.5) / a.scale;
    case CoordinateMode::kTfCropAndResize: {
      const double start = a.roi_start * (in - 1);
      const double span = (a.roi_end - a.roi_start) * (in - 1);
      return a.out > 1 ? start + x * span / static_cast<double>(a.out - 1) : start + span / 2;
    }
  }
  return x;
}

namespace {

int64_t nearest_index(NearestMode mode, double x) {
  const double below = std::floor(x);
  const double fraction = x - below;
  const auto floor_index = static_cast<int64_t>(below);
  switch (mode) {
    case NearestMode::kRoundPreferFloor:
      return fraction <= 0.5 ? floor_index : floor_index + 1;
    case NearestMode::kRoundPreferCeil:
      return fraction < 0.5 ? floor_index : floor_index + 1;
    case NearestMode::kFloor:
      return floor_index;
    case NearestMode::kCeil:
      return fraction > 0 ? floor_index + 1 : floor_index;
  }
  return floor_index;
}

// Keys' cubic convolution kernel with parameter a, at distance t.
double cubic_filter(double a, double t) {
  t = std::abs(t);
  if (t <= 1) return ((a + 2) * t - (a + 3)) * t * t + 1;
  if (t < 2) return ((a * t - 5 * a) * t + 8 * a) * t - 4 * a;
  return 0.0;
}

double linear_filter(double t) { return std::max(0.0, 1 - std::abs(t)); }

}  // namespace

AxisSample sample_axis(const ResizeOptions& opt, const AxisGeometry& a, int64_t o) {
  AxisSample s;
  const double x = original_coordinate(opt, a, o);
  // Written so that a NaN (an roi whose span overflows) lands outside too.
  if (opt.coordinates == CoordinateMode::kTfCropAndResize &&
      !(x >= 0 && x <= static_cast<double>(a.in - 1))) {
    s.outside = true;
    return s;
  }
  auto clamped = [&](int64_t i) { return std::clamp<int64_t>(i, 0, a.in - 1); };
  if (opt.mode == ResizeMode::kNearest) {
    s.index = {clamped(nearest_index(opt.nearest, x))};
    s.weight = {1.0};
    return s;
  }
  const bool cubic = opt.mode == ResizeMode::kCubic;
  const double support = cubic ? 2.0 : 1.0;
  // Antialiasing a downscale widens the filter to cover every input the output spans.
  const double stretch = opt.antialias ? std::min(a.scale, 1.0) : 1.0;
  const double below = std::floor(x);
  const double fraction = x - below;
  // A filter wider than the input reads its edges over and over: cut it there (only a crop
  // region far larger than the input, antialiased, gets so wide), so the count stays an index.
  const double reach = std::min(support / stretch, static_cast<double>(a.in) + support);
  const int64_t first = static_cast<int64_t>(std::floor(-reach)) + 1;
  const int64_t count = 2 - 2 * first;
  double sum = 0;
  for (int64_t k = 0; k < count; ++k) {
    const int64_t at = static_cast<int64_t>(below) + first + k;
    const double t = (static_cast<double>(first + k) - fraction) * stretch;
    double w = cubic ? cubic_filter(opt.cubic_a, t) : linear_filter(t);
    if (opt.exclude_outside && (at < 0 || at >= a.in)) w = 0;
    s.index.push_back(clamped(at));
    s.weight.push_back(w);
    sum += w;
  }
  // The plain filters sum to one by construction; the stretched or cut ones are brought back.
  if ((opt.antialias || opt.exclude_outside) && sum != 0)
    for (double& w : s.weight) w /= sum;
  return s;
}

AxisTaps axis_taps(const ResizeOptions& opt, const AxisGeometry& a) {
  AxisTaps t;
  t.in = a.in;
  t.out = a.out;
  std::vector<AxisSample> samples;
  samples.reserve(static_cast<size_t>(a.out));
  size_t taps = 1;
  for (int64_t o = 0; o < a.out; ++o) {
    samples.push_back(sample_axis(opt, a, o));
    taps = std::max(taps, samples.back().index.size());
  }
  t.taps = static_cast<int>(taps);
  t.index.assign(static_cast<size_t>(a.out) * taps, 0);
  t.weight.assign(static_cast<size_t>(a.out) * taps, 0.f);
  t.outside.assign(static_cast<size_t>(a.out), 0);
  t.identity = a.in == a.out;
  for (int64_t o = 0; o < a.out; ++o) {
    const AxisSample& s = samples[static_cast<size_t>(o)];
    t.outside[o] = s.outside;
    int nonzero = 0;
    bool only_o = !s.outside;
    for (size_t k = 0; k < s.index.size(); ++k) {
      t.index[o * taps + k] = s.index[k];
      t.weight[o * taps + k] = static_cast<float>(s.weight[k]);
      if (s.weight[k] != 0) {
        ++nonzero;
        only_o = only_o && s.index[k] == o && s.weight[k] == 1.0;
      }
    }
    t.identity = t.identity && only_o && nonzero == 1;
  }
  return t;
}

}  // namespace sinter::kernels
