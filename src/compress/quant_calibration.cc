#include "compress/quant_calibration.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>
#include <vector>

#include "core/error.h"
#include "core/parse_number.h"

namespace sinter {

namespace {
// Observed values lying in [lo, hi): one histogram bin, or the exact zeros (lo = hi = 0).
struct Mass {
  double lo;
  double hi;
  int64_t n;
};

// In increasing order: the negative bins, the zeros, the positive bins.
std::vector<Mass> signed_masses(const RangeObserver& o) {
  const auto& bins = o.bins();
  const auto b = static_cast<int64_t>(bins.size());
  const double w = o.bin_width(), r = o.half_range();
  std::vector<Mass> m;
  for (int64_t k = 0; k < b; ++k) {
    if (k == b / 2) m.push_back({0.0, 0.0, o.zeros()});
    m.push_back({-r + static_cast<double>(k) * w, -r + static_cast<double>(k + 1) * w, bins[k]});
  }
  return m;
}

// The same for |x|: bins mirrored about 0 cover the same magnitudes.
std::vector<Mass> abs_masses(const RangeObserver& o) {
  const auto& bins = o.bins();
  const auto half = static_cast<int64_t>(bins.size()) / 2;
  const double w = o.bin_width();
  std::vector<Mass> m = {{0.0, 0.0, o.zeros()}};
  for (int64_t k = 0; k < half; ++k)
    m.push_back({static_cast<double>(k) * w, static_cast<double>(k + 1) * w,
                 bins[half + k] + bins[half - 1 - k]});
  return m;
}

float percentile_of(const std::vector<Mass>& masses, int64_t count, double p, float lo, float hi) {
  const double target = p / 100.0 * static_cast<double>(count);
  double seen = 0;
  for (const Mass& m : masses) {
    if (m.n == 0) continue;
    if (seen + static_cast<double>(m.n) >= target) {
      const double v = m.lo + (target - seen) / static_cast<double>(m.n) * (m.hi - m.lo);
      return std::clamp(static_cast<float>(v), lo, hi);
    }
    seen += static_cast<double>(m.n);
  }
  return hi;
}

void require_observed(const RangeObserver& o, const std::string& what) {
  if (o.count() == 0) throw InputError(cat(what, ": no values observed to calibrate on"));
}

void require_percent(double p, const std::string& what) {
  if (!(p >= 0.0 && p <= 100.0))
    throw InputError(cat(what, ": percentile must be in [0, 100], got ", p));
}

float magnitude_limit(const RangeObserver& o) { return std::max(std::fabs(o.min()), o.max()); }

// A bin's values stand at its centre, kept inside the observed extremes.
struct Point {
  float value;
  double n;
};

std::vector<Point> points_of(const std::vector<Mass>& masses, float lo, float hi) {
  std::vector<Point> pts;
  for (const Mass& m : masses)
    if (m.n > 0 && m.hi > m.lo)  // the zeros are exact on every grid: no error to count
      pts.push_back(
          {std::clamp(static_cast<float>((m.lo + m.hi) / 2), lo, hi), static_cast<double>(m.n)});
  return pts;
}

double grid_error(const std::vector<Point>& pts, float lo, float hi, kernels::IntRange range,
                  bool symmetric) {
  const ScaleZeroPoint g = scale_for_range(lo, hi, range, symmetric);
  double e = 0;
  for (const Point& p : pts) {
    const int32_t q = kernels::quantize_value(p.value, g.scale, g.zero_point, range);
    const double d = kernels::dequantize_value(q, g.scale, g.zero_point) - p.value;
    e += p.n * d * d;
  }
  return e;
}

// Range ends to try between 0 and `end` (either sign): bin edges strictly inside, at most 512
// of them evenly spread, then `end` itself.
std::vector<float> candidate_ends(float end, double bin_width) {
  const double span = std::fabs(end);
  std::vector<float> c;
  if (span > 0) {
    const auto inside = static_cast<int64_t>(std::ceil(span / bin_width)) - 1;
    const int64_t stride = std::max<int64_t>(1, (inside + 511) / 512);
    for (int64_t k = stride; k <= inside; k += stride)
      c.push_back(static_cast<float>(std::copysign(static_cast<double>(k) * bin_width, end)));
  }
  c.push_back(end);
  return c;
}

// The candidate minimizing error(candidate); ties keep the later (wider) one.
template <class Error>
float best_of(const std::vector<float>& candidates, const Error& error) {
  float best = candidates.back();
  double best_error = error(best);
  for (float c : candidates) {
    const double e = error(c);
    if (e < best_error) {
      best = c;
      best_error = e;
    }
  }
  return best;
}

FloatRange mse_range(const RangeObserver& o, kernels::IntRange range, bool symmetric) {
  const double w = o.bin_width();
  if (symmetric) {
    const float limit = magnitude_limit(o);
    const std::vector<Point> pts = points_of(abs_masses(o), 0.0f, limit);
    const float t = best_of(candidate_ends(limit, w),
                            [&](float c) { return grid_error(pts, -c, c, range, true); });
    return {-t, t};
  }
  const std::vector<Point> pts = points_of(signed_masses(o), o.min(), o.max());
  const std::vector<float> his = candidate_ends(std::max(o.max(), 0.0f), w);
  const std::vector<float> los = candidate_ends(std::min(o.min(), 0.0f), w);
  FloatRange r{o.min(), o.max()};
  // Alternate between the ends until neither moves; a few rounds settle it.
  for (int round = 0; round < 8; ++round) {
    const FloatRange before = r;
    r.hi = best_of(his, [&](float c) { return grid_error(pts, r.lo, c, range, false); });
    r.lo = best_of(los, [&](float c) { return grid_error(pts, c, r.hi, range, false); });
    if (r.lo == before.lo && r.hi == before.hi) break;
  }
  return r;
}
}  // namespace

float observed_percentile(const RangeObserver& o, double p) {
  require_percent(p, "percentile");
  require_observed(o, "percentile");
  return percentile_of(signed_masses(o), o.count(), p, o.min(), o.max());
}

float observed_abs_percentile(const RangeObserver& o, double p) {
  require_percent(p, "percentile");
  require_observed(o, "percentile");
  return percentile_of(abs_masses(o), o.count(), p, 0.0f, magnitude_limit(o));
}

FloatRange calibrate_range(const RangeObserver& o, const CalibrationOptions& options,
                           const std::string& what) {
  if (options.bits != 4 && options.bits != 8)
    throw InputError(cat(what, ": bits must be 4 or 8, got ", options.bits));
  if (options.method == CalibrationMethod::kPercentile &&
      !(options.percentile > 50.0 && options.percentile <= 100.0))
    throw InputError(cat(what, ": percentile must be in (50, 100], got ", options.percentile));
  require_observed(o, what);
  switch (options.method) {
    case CalibrationMethod::kMinMax:
      return {o.min(), o.max()};
    case CalibrationMethod::kPercentile:
      if (options.symmetric) {
        const float t = observed_abs_percentile(o, options.percentile);
        return {-t, t};
      }
      return {observed_percentile(o, 100.0 - options.percentile),
              observed_percentile(o, options.percentile)};
    case CalibrationMethod::kMse:
      return mse_range(o, int_range(options.bits, options.symmetric), options.symmetric);
  }
  throw InputError(cat(what, ": unknown calibration method"));
}

void parse_calibration_method(const std::string& text, CalibrationOptions& options) {
  if (text == "minmax") {
    options.method = CalibrationMethod::kMinMax;
  } else if (text == "mse") {
    options.method = CalibrationMethod::kMse;
  } else if (text == "percentile" || text.rfind("percentile:", 0) == 0) {
    options.method = CalibrationMethod::kPercentile;
    if (text == "percentile") return;
    const std::optional<double> p = parse_double(text.substr(11));
    if (!p) throw InputError(cat("method percentile: '", text.substr(11), "' is not a number"));
    options.percentile = *p;
  } else {
    throw InputError(cat("method must be minmax, percentile:P or mse, got '", text, "'"));
  }
}

std::string calibration_method_name(const CalibrationOptions& options) {
  switch (options.method) {
    case CalibrationMethod::kMinMax:
      return "minmax";
    case CalibrationMethod::kMse:
      return "mse";
    case CalibrationMethod::kPercentile: {
      char p[32];
      std::snprintf(p, sizeof p, "%.6g", options.percentile);
      return cat("percentile:", p);
    }
  }
  return "?";
}

QuantParams calibrate_activation(const RangeObserver& o, const CalibrationOptions& options,
                                 const std::string& what) {
  const FloatRange r = calibrate_range(o, options, what);
  QuantParams p;
  p.scheme.bits = options.bits;
  p.scheme.symmetric = options.symmetric;
  p.scheme.granularity = QuantGranularity::kTensor;
  const ScaleZeroPoint sz = scale_for_range(r.lo, r.hi, p.range(), options.symmetric);
  p.scale = Tensor::scalar(sz.scale);
  p.zero_point = Tensor::scalar(static_cast<int8_t>(sz.zero_point));
  return p;
}

}  // namespace sinter
