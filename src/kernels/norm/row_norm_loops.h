#pragma once
// The loops of row normalization, written once in plain C++ that the compiler vectorizes, and
// compiled once per ISA tier (row_norm_portable.cc, row_norm_avx2.cc, row_norm_avx512.cc): the
// moments' 8 double lanes become 4 SSE, 2 AVX or 1 AVX-512 register a sum. Everything here is
// TU-local (an unnamed namespace), so each tier keeps its own copy (tests/isa_leak_check.sh).
// Two passes over each row: its moments, then its outputs.
#include <cmath>

#include "kernels/norm/row_norm.h"

namespace sinter::kernels::detail {
namespace {

constexpr int kLanes = 8;

struct Moments {
  double mean;
  float inv_std;
};

// One pass: sums of d = x - x[0] and of d^2 in double. The shift by a value of the row keeps the
// difference of squares from cancelling when the mean is large against the spread. An empty row
// has mean 0 and variance 0.
Moments moments(const float* row, int64_t n, float epsilon) {
  const double shift = n > 0 ? row[0] : 0.0;
  double s[kLanes] = {}, q[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) {
      const double d = static_cast<double>(row[i + j]) - shift;
      s[j] += d;
      q[j] += d * d;
    }
  for (int j = 0; i < n; ++i, ++j) {
    const double d = static_cast<double>(row[i]) - shift;
    s[j] += d;
    q[j] += d * d;
  }
  double sum = 0, sq = 0;
  for (int j = 0; j < kLanes; ++j) {
    sum += s[j];
    sq += q[j];
  }
  const double m = n > 0 ? sum / static_cast<double>(n) : 0.0;
  const double spread = n > 0 ? sq / static_cast<double>(n) - m * m : 0.0;
  const double var = spread > 0.0 ? spread : 0.0;  // rounding may leave a tiny negative
  return {shift + m, static_cast<float>(1.0 / std::sqrt(var + epsilon))};
}

// The mean as a float and the float nearest to what that leaves: x - hi is exact for the values
// near the mean (Sterbenz), so (x - hi) - lo loses nothing to a mean that is large against the
// spread.
struct SplitMean {
  float hi, lo;
};
SplitMean split(double mean) {
  const float hi = static_cast<float>(mean);
  return {hi, static_cast<float>(mean - hi)};
}

// out = (row - mean) * a + b: one channel's run, whose scale and bias are one value each.
void affine_run(const float* row, float* out, int64_t n, SplitMean m, float a, float b) {
  for (int64_t i = 0; i < n; ++i) out[i] = ((row[i] - m.hi) - m.lo) * a + b;
}

// out = (row - mean) * inv_std * scale + bias, a scale and bias per column.
void affine_columns(const float* row, float* out, int64_t n, SplitMean m, float inv_std,
                    const float* scale, const float* bias) {
  if (bias) {
    for (int64_t i = 0; i < n; ++i)
      out[i] = ((row[i] - m.hi) - m.lo) * inv_std * scale[i] + bias[i];
  } else {
    for (int64_t i = 0; i < n; ++i) out[i] = ((row[i] - m.hi) - m.lo) * inv_std * scale[i];
  }
}

void row_norm_loops(const RowNormParams& p, const float* x, const float* scale, const float* bias,
                    float* y, float* mean_out, float* inv_out, int64_t row_begin, int64_t row_end) {
  const int64_t n = p.cols, run = p.per_column ? n : n / p.segments;
  for (int64_t r = row_begin; r < row_end; ++r) {
    const float* row = x + r * n;
    float* out = y + r * n;
    const Moments m = moments(row, n, p.epsilon);
    const SplitMean mean = split(m.mean);
    if (p.per_column) {
      affine_columns(row, out, n, mean, m.inv_std, scale, bias);
    } else {
      const int64_t first = (r % p.period) * p.segments;
      for (int64_t j = 0; j < p.segments; ++j)
        affine_run(row + j * run, out + j * run, run, mean, m.inv_std * scale[first + j],
                   bias ? bias[first + j] : 0.0f);
    }
    if (mean_out) mean_out[r] = mean.hi;
    if (inv_out) inv_out[r] = m.inv_std;
  }
}

}  // namespace
}  // namespace sinter::kernels::detail
