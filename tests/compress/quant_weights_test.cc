// Weight quantization: each granularity against a loop written from its definition, agreement
// with sinter's DequantizeLinear, round trips, per-vector beating per-channel on weights with
// outliers, two-level scales, and bad input.
#include "compress/quant_weights.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>

#include "compress/quant_error.h"
#include "ops/infer_graph.h"
#include "quant_test_util.h"

namespace sinter {
namespace {

using quant_test::expect_error;
using quant_test::normal_tensor;

QuantScheme scheme(int bits, bool symmetric, QuantGranularity g) {
  QuantScheme s;
  s.bits = bits;
  s.symmetric = symmetric;
  s.granularity = g;
  return s;
}

QuantScheme per_vector(int bits, int64_t size, int scale_bits = 0) {
  QuantScheme s = scheme(bits, true, QuantGranularity::kVector);
  s.vector_size = size;
  s.scale_bits = scale_bits;
  return s;
}

void expect_same(const Tensor& got, const Tensor& want) {
  ASSERT_EQ(got.shape(), want.shape());
  for (int64_t i = 0; i < got.numel(); ++i)
    ASSERT_EQ(got.data<float>()[i], want.data<float>()[i]) << "at " << i;
}

// A Conv weight [O, I, kh, kw] quantized per vector of V input channels, written as VS-Quant
// defines it: the scale of each vector is its largest magnitude over qmax.
Tensor per_vector_by_definition(const Tensor& w, int64_t v, int qmax) {
  const int64_t o = w.dim(0), in = w.dim(1), taps = w.dim(2) * w.dim(3);
  Tensor out(DType::kFloat32, w.shape());
  auto at = [&](int64_t oc, int64_t ic, int64_t k) { return (oc * in + ic) * taps + k; };
  for (int64_t oc = 0; oc < o; ++oc)
    for (int64_t first = 0; first < in; first += v)
      for (int64_t k = 0; k < taps; ++k) {
        float amax = 0;
        for (int64_t ic = first; ic < first + v; ++ic)
          amax = std::max(amax, std::fabs(w.data<float>()[at(oc, ic, k)]));
        float s = amax / static_cast<float>(qmax);
        if (s == 0) s = 1;
        for (int64_t ic = first; ic < first + v; ++ic) {
          const long q =
              std::clamp<long>(std::lrint(w.data<float>()[at(oc, ic, k)] / s), -qmax, qmax);
          out.data<float>()[at(oc, ic, k)] = static_cast<float>(q) * s;
        }
      }
  return out;
}

// Asymmetric per-channel quantization of a [K, N] matrix along its columns (axis 1).
Tensor asymmetric_columns_by_definition(const Tensor& w, int qmin, int qmax) {
  const int64_t k = w.dim(0), n = w.dim(1);
  Tensor out(DType::kFloat32, w.shape());
  const float* x = w.data<float>();
  for (int64_t c = 0; c < n; ++c) {
    float lo = 0, hi = 0;
    for (int64_t r = 0; r < k; ++r) {
      lo = std::min(lo, x[r * n + c]);
      hi = std::max(hi, x[r * n + c]);
    }
    const float s = (hi - lo) / static_cast<float>(qmax - qmin);
    const long zp = std::clamp<long>(qmin - std::lrint(lo / s), qmin, qmax);
    for (int64_t r = 0; r < k; ++r) {
      const long q = std::clamp<long>(std::lrint(x[r * n + c] / s) + zp, qmin, qmax);
      out.data<float>()[r * n + c] = static_cast<float>(q - zp) * s;
    }
  }
  return out;
}

TEST(QuantWeights, PerTensorAndPerChannelSymmetric) {
  const Tensor w = normal_tensor({4, 6}, 1, 0.3);
  for (int bits : {8, 4}) {
    const int qmax = (1 << (bits - 1)) - 1;
    const QuantParams t = choose_weight_params(w, scheme(bits, true, QuantGranularity::kTensor));
    ASSERT_EQ(t.scale.rank(), 0);
    float amax = 0;
    for (int64_t i = 0; i < w.numel(); ++i) amax = std::max(amax, std::fabs(w.data<float>()[i]));
    EXPECT_EQ(t.scale.data<float>()[0], amax / static_cast<float>(qmax));
    EXPECT_EQ(t.zero_point.data<int8_t>()[0], 0);

    const QuantParams c = choose_weight_params(w, scheme(bits, true, QuantGranularity::kChannel));
    ASSERT_EQ(c.scale.shape(), (Shape{4, 1}));
    const Tensor q = quantize_tensor(w, c);
    for (int64_t row = 0; row < 4; ++row) {
      int8_t top = 0;
      for (int64_t col = 0; col < 6; ++col)
        top = std::max<int8_t>(top, static_cast<int8_t>(std::abs(q.data<int8_t>()[row * 6 + col])));
      EXPECT_EQ(top, qmax) << "each channel's largest weight lands on the grid's end";
    }
  }
}

TEST(QuantWeights, PerVectorMatchesDefinition) {
  const Tensor w = normal_tensor({3, 32, 3, 3}, 2, 0.1);
  for (int bits : {8, 4})
    for (int64_t v : {1, 8, 16, 32})
      expect_same(fake_quantize_weights(w, per_vector(bits, v)),
                  per_vector_by_definition(w, v, (1 << (bits - 1)) - 1));
}

TEST(QuantWeights, AsymmetricPerChannelMatchesDefinitionAndKeepsZeroExact) {
  Tensor w = quant_test::uniform_tensor({16, 5}, 3, -0.2, 1.0);
  w.data<float>()[7] = 0.0f;
  QuantScheme s = scheme(8, false, QuantGranularity::kChannel);
  s.channel_axis = -1;
  expect_same(fake_quantize_weights(w, s), asymmetric_columns_by_definition(w, -128, 127));
  s.bits = 4;
  const Tensor fq = fake_quantize_weights(w, s);
  expect_same(fq, asymmetric_columns_by_definition(w, -8, 7));
  EXPECT_EQ(fq.data<float>()[7], 0.0f);
}

// The exported form: int8 values, a 1-D per-axis scale and zero point, sinter's own op.
Tensor run_dequantize_linear(const Tensor& q, const QuantParams& p, int64_t axis) {
  Node n;
  n.name = "dq";
  n.op_type = "DequantizeLinear";
  n.inputs = {"q", "scale", "zero_point"};
  n.outputs = {"y"};
  n.attrs = {{"axis", axis}};
  const Shape one_d{p.scale.numel()};
  const Tensor scale = p.scale.reshaped(one_d), zp = p.zero_point.reshaped(one_d);
  return evaluate_node(n, 13, {&q, &scale, &zp}).at(0);
}

TEST(QuantWeights, FakeQuantizeEqualsExportedDequantizeLinear) {
  const Tensor w = normal_tensor({8, 3, 3, 3}, 4, 0.2);
  for (bool symmetric : {true, false})
    for (int bits : {8, 4}) {
      const QuantParams p =
          choose_weight_params(w, scheme(bits, symmetric, QuantGranularity::kChannel));
      expect_same(run_dequantize_linear(quantize_tensor(w, p), p, 0), fake_quantize(w, p));
    }
}

TEST(QuantWeights, RoundTripsAndHalfStepBound) {
  const Tensor w = normal_tensor({6, 32, 3, 3}, 5, 0.1);
  std::vector<QuantScheme> schemes = {scheme(8, true, QuantGranularity::kTensor),
                                      scheme(4, false, QuantGranularity::kTensor),
                                      scheme(4, true, QuantGranularity::kChannel),
                                      scheme(8, false, QuantGranularity::kChannel),
                                      per_vector(4, 16),
                                      per_vector(8, 32, 6),
                                      per_vector(4, 16, 4)};
  schemes.push_back(per_vector(4, 8));
  schemes.back().symmetric = false;
  for (const QuantScheme& s : schemes) {
    const QuantParams p = choose_weight_params(w, s);
    const Tensor q = quantize_tensor(w, p);
    const Tensor fq = fake_quantize(w, p);
    expect_same(dequantize_tensor(q, p), fq);
    // The grid's points are fixed points: quantizing them again changes nothing.
    const Tensor q2 = quantize_tensor(fq, p);
    ASSERT_EQ(std::memcmp(q.raw(), q2.raw(), q.nbytes()), 0);
    expect_same(fake_quantize(fq, p), fq);
    const kernels::IntRange r = p.range();
    for (int64_t i = 0; i < q.numel(); ++i) {
      ASSERT_GE(q.data<int8_t>()[i], r.lo);
      ASSERT_LE(q.data<int8_t>()[i], r.hi);
    }
    if (p.two_level) continue;  // a rounded-down factor clips on purpose
    // Min/max scales clip nothing, so every weight is within half a step of its grid point.
    const Shape blocked = p.scale.rank() ? p.scale.shape() : Shape(w.shape().size(), 1);
    for_each_blocked(w.shape(), blocked, [&](int64_t i, int64_t j) {
      const double step = p.scale.data<float>()[j];
      ASSERT_LE(std::fabs(fq.data<float>()[i] - w.data<float>()[i]), 0.5 * step * (1 + 1e-6));
    });
  }
}

// Gaussian weights with a few large outliers, as trained conv layers have.
Tensor weights_with_outliers(uint64_t seed) {
  Tensor w = normal_tensor({32, 64, 3, 3}, seed, 0.05);
  std::mt19937_64 rng(seed + 1);
  for (int k = 0; k < 200; ++k) w.data<float>()[rng() % w.numel()] *= 15.0f;
  return w;
}

TEST(QuantWeights, PerVectorBeatsPerChannelOnOutliers) {
  const Tensor w = weights_with_outliers(6);
  for (int bits : {4, 8}) {
    const double channel =
        quantization_error(w,
                           fake_quantize_weights(w, scheme(bits, true, QuantGranularity::kChannel)))
            .mse;
    const double vector16 =
        quantization_error(w, fake_quantize_weights(w, per_vector(bits, 16))).mse;
    const double vector64 =
        quantization_error(w, fake_quantize_weights(w, per_vector(bits, 64))).mse;
    const double two_level =
        quantization_error(w, fake_quantize_weights(w, per_vector(bits, 16, 4))).mse;
    EXPECT_LT(vector16, 0.25 * channel) << bits << " bits";
    EXPECT_LT(vector16, vector64) << bits << " bits: shorter vectors, tighter scales";
    EXPECT_LT(vector64, channel) << bits << " bits";
    EXPECT_LT(two_level, 0.25 * channel) << bits << " bits";
  }
}

TEST(QuantWeights, TwoLevelScalesAreIntegerFactorsOfAChannelScale) {
  const Tensor w = weights_with_outliers(7);
  for (int scale_bits : {4, 6}) {
    const QuantParams p = choose_weight_params(w, per_vector(4, 16, scale_bits));
    ASSERT_TRUE(p.two_level.has_value());
    const Tensor& factor = p.two_level->vector_factor;
    const Tensor& gamma = p.two_level->channel_scale;
    ASSERT_EQ(factor.shape(), (Shape{32, 4, 3, 3}));
    ASSERT_EQ(gamma.shape(), (Shape{32, 1, 1, 1}));
    int32_t largest = 0;
    for (int64_t j = 0; j < factor.numel(); ++j) {
      const int32_t f = factor.data<int32_t>()[j];
      ASSERT_GE(f, 1);
      ASSERT_LE(f, (1 << scale_bits) - 1);
      largest = std::max(largest, f);
      EXPECT_EQ(p.scale.data<float>()[j], static_cast<float>(f) * gamma.data<float>()[j / 36]);
    }
    EXPECT_EQ(largest, (1 << scale_bits) - 1) << "the channel's widest vector uses the top factor";
    // More scale bits approximate the per-vector floats more closely.
  }
  const double s4 = quantization_error(w, fake_quantize_weights(w, per_vector(4, 16, 4))).mse;
  const double s8 = quantization_error(w, fake_quantize_weights(w, per_vector(4, 16, 8))).mse;
  EXPECT_LT(s8, s4);
}

TEST(QuantWeights, ZeroChannelsAndEmptyTensors) {
  Tensor w = normal_tensor({3, 16}, 8);
  for (int64_t i = 16; i < 32; ++i) w.data<float>()[i] = 0.0f;  // channel 1 pruned away
  for (const QuantScheme& s : {scheme(4, true, QuantGranularity::kChannel),
                               scheme(4, false, QuantGranularity::kChannel), per_vector(4, 8, 4)}) {
    const Tensor fq = fake_quantize_weights(w, s);
    for (int64_t i = 16; i < 32; ++i) ASSERT_EQ(fq.data<float>()[i], 0.0f);
    for (int64_t i = 0; i < fq.numel(); ++i) ASSERT_TRUE(std::isfinite(fq.data<float>()[i]));
  }
  const Tensor empty(DType::kFloat32, {0, 4});
  EXPECT_EQ(fake_quantize_weights(empty, scheme(8, true, QuantGranularity::kTensor)).numel(), 0);
}

TEST(QuantWeights, BadInput) {
  const Tensor w = normal_tensor({4, 8}, 9);
  expect_error<InputError>(
      [&] { choose_weight_params(w, scheme(2, true, QuantGranularity::kTensor), "fc.weight"); },
      {"fc.weight", "bits must be 4 or 8, got 2"});
  expect_error<InputError>([&] { choose_weight_params(w, per_vector(8, 3), "fc.weight"); },
                           {"fc.weight", "vector size 3 does not divide the 8 elements"});
  expect_error<InputError>([&] { choose_weight_params(w, per_vector(8, -1)); },
                           {"vector size must be at least 1"});
  QuantScheme axis5 = scheme(8, true, QuantGranularity::kChannel);
  axis5.channel_axis = 5;
  expect_error<InputError>([&] { choose_weight_params(w, axis5, "fc.weight"); },
                           {"fc.weight", "channel axis 5 is out of range"});
  expect_error<InputError>(
      [&] { choose_weight_params(Tensor(DType::kInt8, {4}), QuantScheme{}, "emb"); },
      {"emb", "float32", "int8"});
  Tensor nan = w.clone();
  nan.data<float>()[5] = std::numeric_limits<float>::quiet_NaN();
  expect_error<NumericError>([&] { choose_weight_params(nan, QuantScheme{}, "fc.weight"); },
                             {"fc.weight", "weight 5", "non-finite"});
  const QuantParams p = choose_weight_params(w, QuantScheme{});
  expect_error<InputError>(
      [&] {
        quantize_tensor(normal_tensor({8, 4}, 1), p);
      },
      {"[4,1]", "do not fit", "[8,4]"});
}

}  // namespace
}  // namespace sinter
