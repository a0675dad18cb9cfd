// Calibration: the observer's bookkeeping across batches, percentiles against known quantiles,
// and which range each method picks on planted distributions (outliers, uniform, Laplace,
// post-ReLU), judged by the quantization error each range gives on the data itself.
#include "compress/quant_calibration.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <numeric>

#include "compress/quant_error.h"
#include "quant_test_util.h"

namespace sinter {
namespace {

using quant_test::expect_error;
using quant_test::normal_tensor;
using quant_test::uniform_tensor;

RangeObserver observed(const Tensor& t) {
  RangeObserver o;
  o.observe(t);
  return o;
}

CalibrationOptions options(CalibrationMethod m, int bits, bool symmetric) {
  CalibrationOptions c;
  c.method = m;
  c.bits = bits;
  c.symmetric = symmetric;
  return c;
}

// Mean squared error on the data of quantizing with the range a method picks.
double error_on_data(const Tensor& x, const RangeObserver& o, const CalibrationOptions& c) {
  return quantization_error(x, fake_quantize(x, calibrate_activation(o, c))).mse;
}

// Laplace(0, b) by inverse CDF.
Tensor laplace_tensor(Shape shape, uint64_t seed, double b) {
  return quant_test::planted(std::move(shape), seed, [&](std::mt19937_64& r) {
    const double u = quant_test::uniform_open(r) - 0.5;
    return -b * std::copysign(1.0, u) * std::log(1 - 2 * std::fabs(u));
  });
}

TEST(QuantCalibration, ObserverKeepsCountsAcrossGrowingBatches) {
  RangeObserver chunked;
  Tensor all(DType::kFloat32, {4000});
  for (int k = 0; k < 4; ++k) {  // each batch 4x wider than the last: the range doubles twice
    Tensor batch = normal_tensor({1000}, 10 + k, std::pow(4.0, k));
    for (int64_t i = 0; i < 1000; i += 10) batch.data<float>()[i] = 0.0f;
    chunked.observe(batch);
    std::copy(batch.data<float>(), batch.data<float>() + 1000, all.data<float>() + 1000 * k);
  }
  const RangeObserver whole = observed(all);
  EXPECT_EQ(chunked.count(), 4000);
  EXPECT_EQ(chunked.zeros(), 400);
  EXPECT_EQ(chunked.min(), whole.min());
  EXPECT_EQ(chunked.max(), whole.max());
  const auto& bins = chunked.bins();
  EXPECT_EQ(std::accumulate(bins.begin(), bins.end(), int64_t{0}), 3600);
  EXPECT_GE(chunked.half_range(), std::max(-whole.min(), whole.max()));
  for (double p : {1.0, 10.0, 50.0, 90.0, 99.0})
    EXPECT_NEAR(observed_percentile(chunked, p), observed_percentile(whole, p),
                2 * chunked.bin_width())
        << p;
}

TEST(QuantCalibration, PercentilesOfUniformData) {
  const RangeObserver o = observed(uniform_tensor({1000000}, 1, -1.0, 1.0));
  const double tol = 0.003;  // sampling (~0.001) plus a bin (2 / 4096)
  EXPECT_NEAR(observed_percentile(o, 50), 0.0, tol);
  EXPECT_NEAR(observed_percentile(o, 99), 0.98, tol);
  EXPECT_NEAR(observed_percentile(o, 5), -0.9, tol);
  EXPECT_NEAR(observed_abs_percentile(o, 90), 0.9, tol);
  EXPECT_EQ(observed_percentile(o, 100), o.max());
  EXPECT_EQ(observed_percentile(o, 0), o.min());
}

TEST(QuantCalibration, ZerosArePointMass) {
  Tensor x = uniform_tensor({1000}, 2, 1.0, 2.0);
  for (int64_t i = 0; i < 600; ++i) x.data<float>()[i] = 0.0f;  // post-ReLU: mostly zeros
  const RangeObserver o = observed(x);
  EXPECT_EQ(observed_percentile(o, 50), 0.0f);
  EXPECT_EQ(observed_percentile(o, 60), 0.0f);
  EXPECT_GT(observed_percentile(o, 61), 1.0f);
}

TEST(QuantCalibration, MsePicksWhicheverRangeCostsLessOnOutliers) {
  Tensor x = normal_tensor({200000}, 3);
  for (int64_t i = 0; i < 10; ++i) x.data<float>()[i * 997] = i % 2 ? 50.0f : -50.0f;
  const RangeObserver o = observed(x);
  const FloatRange minmax = calibrate_range(o, options(CalibrationMethod::kMinMax, 8, true));
  EXPECT_EQ(minmax.lo, -50.0f);
  EXPECT_EQ(minmax.hi, 50.0f);
  const FloatRange p = calibrate_range(o, options(CalibrationMethod::kPercentile, 8, true));
  EXPECT_EQ(p.lo, -p.hi);
  EXPECT_GT(p.hi, 3.5f);  // the 99.99th percentile of |N(0,1)| is 3.89
  EXPECT_LT(p.hi, 5.0f);
  for (int bits : {8, 4}) {
    const CalibrationOptions mse = options(CalibrationMethod::kMse, bits, true);
    const double e_minmax = error_on_data(x, o, options(CalibrationMethod::kMinMax, bits, true));
    const double e_pct = error_on_data(x, o, options(CalibrationMethod::kPercentile, bits, true));
    const double e_mse = error_on_data(x, o, mse);
    const FloatRange m = calibrate_range(o, mse);
    EXPECT_LE(e_mse, e_minmax) << bits;
    EXPECT_LE(e_mse, e_pct) << bits;
    if (bits == 8) {
      // 8-bit steps are fine enough that clipping 10 values at 50 costs more than it saves.
      EXPECT_GT(m.hi, 40.0f);
    } else {
      EXPECT_LT(m.hi, 8.0f);
      EXPECT_LT(e_mse, 0.5 * e_minmax);
    }
  }
}

TEST(QuantCalibration, MseKeepsUniformDataUnclipped) {
  const Tensor x = uniform_tensor({100000}, 4, -1.0, 1.0);
  const RangeObserver o = observed(x);
  for (int bits : {8, 4}) {
    const FloatRange m = calibrate_range(o, options(CalibrationMethod::kMse, bits, true));
    EXPECT_GT(m.hi, 0.9f) << bits;
    EXPECT_LE(m.hi, o.max() + 1e-6f);
  }
}

TEST(QuantCalibration, MseClipsLaplaceNearTheKnownOptimum) {
  const Tensor x = laplace_tensor({200000}, 5, 1.0);
  const RangeObserver o = observed(x);
  const FloatRange m4 = calibrate_range(o, options(CalibrationMethod::kMse, 4, true));
  const FloatRange m8 = calibrate_range(o, options(CalibrationMethod::kMse, 8, true));
  // Banner et al. (ACIQ): optimal clipping of Laplace(b) is about 5.0 b at 4 bits, 9.9 b at 8.
  EXPECT_GT(m4.hi, 4.0f);
  EXPECT_LT(m4.hi, 6.0f);
  EXPECT_GT(m8.hi, 8.0f);
  EXPECT_LT(m8.hi, 12.0f);
  EXPECT_LE(error_on_data(x, o, options(CalibrationMethod::kMse, 4, true)),
            error_on_data(x, o, options(CalibrationMethod::kMinMax, 4, true)));
}

TEST(QuantCalibration, AsymmetricPostReluRange) {
  // Half zeros, half exponential(1), one outlier at 100.
  Tensor x = quant_test::planted({100000}, 6, [](std::mt19937_64& r) {
    const double u = quant_test::uniform_open(r);
    return u < 0.5 ? 0.0 : -std::log(2 * (1 - u));
  });
  x.data<float>()[17] = 100.0f;
  const RangeObserver o = observed(x);
  const CalibrationOptions mse = options(CalibrationMethod::kMse, 4, false);
  const FloatRange m = calibrate_range(o, mse);
  EXPECT_EQ(m.lo, 0.0f);
  EXPECT_GT(m.hi, 5.0f);
  EXPECT_LT(m.hi, 30.0f);
  const QuantParams p = calibrate_activation(o, mse);
  EXPECT_EQ(p.zero_point.data<int8_t>()[0], -8) << "0 sits on the 4-bit grid's low end";
  EXPECT_LT(error_on_data(x, o, mse),
            0.5 * error_on_data(x, o, options(CalibrationMethod::kMinMax, 4, false)));
  // The percentile range of data this skewed keeps 0 and cuts the outlier.
  CalibrationOptions pct = options(CalibrationMethod::kPercentile, 8, false);
  pct.percentile = 99.9;
  const FloatRange pr = calibrate_range(o, pct);
  EXPECT_EQ(pr.lo, 0.0f);
  EXPECT_NEAR(pr.hi, -std::log(2 * 0.001), 0.5);
}

TEST(QuantCalibration, AsymmetricMseClipsTheOutlyingEnd) {
  Tensor x = normal_tensor({100000}, 7);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] += 3.0f;
  x.data<float>()[3] = -40.0f;
  const RangeObserver o = observed(x);
  const FloatRange m = calibrate_range(o, options(CalibrationMethod::kMse, 4, false));
  EXPECT_GT(m.lo, -2.0f) << "the lone outlier at -40 is clipped";
  EXPECT_GT(m.hi, 4.5f);
  EXPECT_LT(m.hi, 7.0f);
}

TEST(QuantCalibration, MinMaxParams) {
  const Tensor x = Tensor::from_vector<float>({4}, {-1.0f, 0.5f, 3.0f, 0.0f});
  const QuantParams p =
      calibrate_activation(observed(x), options(CalibrationMethod::kMinMax, 8, false));
  EXPECT_EQ(p.scale.rank(), 0);
  EXPECT_FLOAT_EQ(p.scale.data<float>()[0], 4.0f / 255.0f);
  EXPECT_EQ(p.zero_point.data<int8_t>()[0], -64);
  const Tensor fq = fake_quantize(x, p);
  EXPECT_EQ(fq.data<float>()[3], 0.0f);
  EXPECT_NEAR(fq.data<float>()[2], 3.0f, 0.5f * 4.0f / 255.0f);
  // All zeros: a usable scale, and zeros come back exact.
  const Tensor zeros(DType::kFloat32, {8});
  const QuantParams z =
      calibrate_activation(observed(zeros), options(CalibrationMethod::kMse, 8, true));
  EXPECT_EQ(z.scale.data<float>()[0], 1.0f);
  EXPECT_EQ(quantization_error(zeros, fake_quantize(zeros, z)).max_abs, 0.0);
}

TEST(QuantCalibration, BadInput) {
  const RangeObserver o = observed(normal_tensor({100}, 8));
  expect_error<InputError>(
      [&] { calibrate_range(o, options(CalibrationMethod::kMinMax, 16, true), "relu1"); },
      {"relu1", "bits must be 4 or 8, got 16"});
  CalibrationOptions pct = options(CalibrationMethod::kPercentile, 8, true);
  for (double bad : {40.0, 100.5, std::nan("")}) {
    pct.percentile = bad;
    expect_error<InputError>([&] { calibrate_range(o, pct, "relu1"); },
                             {"relu1", "percentile must be in (50, 100]"});
  }
  expect_error<InputError>([&] { observed_percentile(o, -1); }, {"percentile must be in [0, 100]"});
  expect_error<InputError>([&] { calibrate_range(RangeObserver(), CalibrationOptions{}, "conv3"); },
                           {"conv3", "no values observed"});
  expect_error<InputError>([] { RangeObserver(6); }, {"multiple of 4", "6"});
  RangeObserver seen = observed(normal_tensor({10}, 9));
  Tensor bad = normal_tensor({10}, 9);
  bad.data<float>()[4] = std::numeric_limits<float>::infinity();
  expect_error<NumericError>([&] { seen.observe(bad); }, {"value 4", "non-finite"});
  EXPECT_EQ(seen.count(), 10) << "a rejected batch adds nothing";
  expect_error<InputError>([&] { seen.observe(Tensor(DType::kInt8, {3})); }, {"float32", "int8"});
}

TEST(QuantCalibration, MethodNamesReadBack) {
  for (const std::string name : {"minmax", "mse", "percentile:99.99", "percentile:99.9"}) {
    CalibrationOptions o;
    parse_calibration_method(name, o);
    EXPECT_EQ(calibration_method_name(o), name);
  }
  CalibrationOptions o;
  parse_calibration_method("percentile", o);
  EXPECT_EQ(o.method, CalibrationMethod::kPercentile);
  EXPECT_EQ(o.percentile, 99.99);
  expect_error<InputError>([&] { parse_calibration_method("max", o); },
                           {"method must be minmax, percentile:P or mse, got 'max'"});
  expect_error<InputError>([&] { parse_calibration_method("percentile:x", o); },
                           {"method percentile: 'x' is not a number"});
}

}  // namespace
}  // namespace sinter
