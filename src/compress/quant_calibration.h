#pragma once
// Calibration of activation ranges from observed values: the observed extremes (min/max), a
// percentile that ignores the rarest outliers, or the clipping range that minimizes the mean
// squared quantization error (MSE). Each gives per-tensor params for QuantizeLinear.
#include <string>

#include "compress/quant_observer.h"
#include "compress/quant_params.h"

namespace sinter {

enum class CalibrationMethod { kMinMax, kPercentile, kMse };

struct CalibrationOptions {
  CalibrationMethod method = CalibrationMethod::kMinMax;
  double percentile = 99.99;  // kPercentile: the share of values kept inside the range, in %
  int bits = 8;               // 8 or 4, held in int8 as for weights (quant_scheme.h)
  bool symmetric = false;
};

// Sets options' method (and percentile) from "minmax", "mse", "percentile" (P stays 99.99) or
// "percentile:P". Throws InputError naming the text for anything else or a P that is not a
// number; calibrate_range checks P's range.
void parse_calibration_method(const std::string& text, CalibrationOptions& options);

// The text parse_calibration_method reads back: "minmax", "mse", "percentile:99.99".
std::string calibration_method_name(const CalibrationOptions& options);

struct FloatRange {
  float lo;
  float hi;
};

// The value below which p percent of the observed values lie, interpolated linearly within its
// bin and clamped to the observed extremes; the same for |x|. Throws InputError unless
// 0 <= p <= 100 and something was observed.
float observed_percentile(const RangeObserver& o, double p);
float observed_abs_percentile(const RangeObserver& o, double p);

// The range the quantization grid will cover:
//  - kMinMax: [min, max] observed;
//  - kPercentile: +-(p-th percentile of |x|) when symmetric, else [(100 - p)-th, p-th percentile];
//  - kMse: the range, among bin edges (at most 512 candidates a side) and the observed extremes,
//    whose grid gives the smallest squared error over the histogram, each bin standing for its
//    values at its centre and zeros exact. Symmetric: one threshold; asymmetric: both ends, by
//    alternating searches starting from [min, max].
// Throws InputError naming `what` for bits other than 4 or 8, a percentile outside (50, 100], or
// an observer that has seen nothing.
FloatRange calibrate_range(const RangeObserver& o, const CalibrationOptions& options,
                           const std::string& what = "activation");

// Per-tensor params (scalar scale and zero point) for the calibrated range.
QuantParams calibrate_activation(const RangeObserver& o, const CalibrationOptions& options,
                                 const std::string& what = "activation");

}  // namespace sinter
