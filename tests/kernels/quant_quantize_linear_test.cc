// Every ISA tier's (de)quantize runs against the scalar definition on every tail length and on
// values where rounding, saturation and NaN handling could differ; the dispatcher over channel
// layouts.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "family_tiers.h"
#include "kernels/quant/quantize_linear.h"

namespace sinter::kernels {
namespace {

std::vector<Isa> tiers() { return family_tiers("quant", quantize_kernels()); }

void run(const QuantizeKernels& k, const float* x, int8_t* y, int64_t n, float scale,
         int32_t zero_point, IntRange range) {
  k.quantize_s8(x, y, n, scale, zero_point, range);
}
void run(const QuantizeKernels& k, const float* x, uint8_t* y, int64_t n, float scale,
         int32_t zero_point, IntRange range) {
  k.quantize_u8(x, y, n, scale, zero_point, range);
}
void run(const QuantizeKernels& k, const int8_t* x, float* y, int64_t n, float scale,
         int32_t zero_point) {
  k.dequantize_s8(x, y, n, scale, zero_point);
}
void run(const QuantizeKernels& k, const uint8_t* x, float* y, int64_t n, float scale,
         int32_t zero_point) {
  k.dequantize_u8(x, y, n, scale, zero_point);
}
void run(const QuantizeKernels& k, const int32_t* x, float* y, int64_t n, float scale,
         int32_t zero_point) {
  k.dequantize_s32(x, y, n, scale, zero_point);
}

std::vector<float> awkward_values() {
  const float inf = std::numeric_limits<float>::infinity();
  std::vector<float> v = {0.f,           -0.f,   0.5f,    -0.5f,  1.5f,    2.5f,
                          -2.5f,         126.5f, 127.5f,  127.6f, -128.5f, -129.f,
                          254.5f,        255.5f, 1e10f,   -1e10f, inf,     -inf,
                          std::nanf(""), 1e-40f, -1e-40f, 3e9f,   -3e9f,   0.49999997f};
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> d(-300.f, 300.f);
  for (int i = 0; i < 40; ++i) v.push_back(d(gen));
  return v;
}

// Runs of every length up to 64 values (vector bodies, tails, both) plus one sentinel past the
// end, which no tier may write.
template <class Q>
void check_quantize_runs(const QuantizeKernels& k, int32_t zero_point, IntRange range) {
  const std::vector<float> x = awkward_values();
  for (float scale : {1.f, 0.5f, 3.f, 1e-3f}) {
    for (size_t n = 0; n <= x.size(); ++n) {
      std::vector<Q> fast(n + 1, Q{42}), ref(n + 1, Q{42});
      run(k, x.data(), fast.data(), static_cast<int64_t>(n), scale, zero_point, range);
      quantize_linear_reference(x.data(), ref.data(), AxisLayout{1, 1, static_cast<int64_t>(n)},
                                &scale, &zero_point, range);
      ASSERT_EQ(fast, ref) << "n=" << n << " scale=" << scale;
    }
  }
}

TEST(QuantizeLinearKernel, QuantizeMatchesScalarDefinitionOnEveryTier) {
  for (Isa isa : tiers()) {
    SCOPED_TRACE(isa_name(isa));
    const QuantizeKernels& k = quantize_kernels().at(isa);
    check_quantize_runs<int8_t>(k, 0, {-128, 127});
    check_quantize_runs<int8_t>(k, -5, {-7, 7});  // a 4-bit range held in int8
    check_quantize_runs<uint8_t>(k, 128, {0, 255});
  }
}

template <class Q>
void check_dequantize_runs(const QuantizeKernels& k, std::vector<Q> x, int32_t zero_point) {
  for (size_t n = 0; n <= x.size(); ++n) {
    std::vector<float> fast(n + 1, 42.0f), ref(n + 1, 42.0f);
    const float scale = 0.037f;
    run(k, x.data(), fast.data(), static_cast<int64_t>(n), scale, zero_point);
    dequantize_linear_reference(x.data(), ref.data(), AxisLayout{1, 1, static_cast<int64_t>(n)},
                                &scale, &zero_point);
    // An empty vector's data() may be null, which memcmp must not get.
    ASSERT_TRUE(std::memcmp(fast.data(), ref.data(), (n + 1) * sizeof(float)) == 0) << "n=" << n;
  }
}

TEST(QuantizeLinearKernel, DequantizeMatchesScalarDefinitionOnEveryTier) {
  std::vector<int8_t> s8;
  std::vector<uint8_t> u8;
  for (int i = -128; i < 128; i += 7) s8.push_back(static_cast<int8_t>(i));
  for (int i = 0; i < 256; i += 7) u8.push_back(static_cast<uint8_t>(i));
  const int32_t big = std::numeric_limits<int32_t>::max();
  std::vector<int32_t> s32 = {-big - 1, big, 0, 1, -1, 1 << 24, (1 << 24) + 1, 5, 9};
  for (int i = 0; i < 30; ++i) s32.push_back(i * 997 - 15000);  // past a 16-lane vector
  for (Isa isa : tiers()) {
    SCOPED_TRACE(isa_name(isa));
    const QuantizeKernels& k = quantize_kernels().at(isa);
    check_dequantize_runs(k, s8, -3);
    check_dequantize_runs(k, u8, 200);
    check_dequantize_runs(k, s32, 7);
  }
}

TEST(QuantizeLinearKernel, ScalarDefinitionRoundsHalfToEvenThenSaturates) {
  const IntRange s8{-128, 127};
  EXPECT_EQ(quantize_value(2.5f, 1.f, 0, s8), 2);
  EXPECT_EQ(quantize_value(3.5f, 1.f, 0, s8), 4);
  EXPECT_EQ(quantize_value(-2.5f, 1.f, 0, s8), -2);
  EXPECT_EQ(quantize_value(127.5f, 1.f, 0, s8), 127);
  EXPECT_EQ(quantize_value(1.f, 0.f, 0, s8), 127);  // x / 0 = inf
  EXPECT_EQ(quantize_value(std::nanf(""), 1.f, 3, s8), -128);
  EXPECT_EQ(quantize_value(0.5, 1.0, 0, s8), 0);
  EXPECT_FLOAT_EQ(dequantize_value(-128, 0.5f, 10), -69.f);
}

TEST(QuantizeLinearKernel, DispatcherWalksChannelsAcrossThreads) {
  const AxisLayout layout{3, 5, 4001};  // runs that straddle the threads' ranges
  std::vector<float> x(static_cast<size_t>(layout.numel()));
  std::mt19937 gen(11);
  std::uniform_real_distribution<float> d(-3.f, 3.f);
  for (float& v : x) v = d(gen);
  const std::vector<float> scale = {0.01f, 0.02f, 0.03f, 0.04f, 0.05f};
  const std::vector<int32_t> zp = {-2, -1, 0, 1, 2};
  std::vector<int8_t> want(x.size()), got(x.size());
  quantize_linear_reference(x.data(), want.data(), layout, scale.data(), zp.data(), {-128, 127});
  for (int threads : {1, 2, 3}) {
    ThreadPool pool(threads);
    quantize_linear(x.data(), got.data(), layout, scale.data(), zp.data(), {-128, 127}, &pool);
    ASSERT_EQ(got, want) << threads << " threads";
    std::vector<float> back(x.size()), back_ref(x.size());
    dequantize_linear(got.data(), back.data(), layout, scale.data(), zp.data(), &pool);
    dequantize_linear_reference(got.data(), back_ref.data(), layout, scale.data(), zp.data());
    ASSERT_EQ(back, back_ref) << threads << " threads";
  }
}

}  // namespace
}  // namespace sinter::kernels
