// The quantized element-wise and pooling kernels of integer layers: the add and the
// concatenation's requantization at every tier with code of its own against the portable
// definition bit for bit (random bytes, scales that make exact ties, saturation at both ends,
// lengths around the vector width); the channels-last u8 max pool against the float reference on
// the same values; the global average pool against its formula.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "family_tiers.h"
#include "kernels/integer/round_to_u8.h"
#include "kernels/qeltwise/qadd.h"
#include "kernels/qeltwise/qconcat.h"
#include "kernels/qpool/qpool2d.h"

namespace sinter::kernels {
namespace {

std::vector<uint8_t> random_bytes(int64_t n, std::mt19937& rng) {
  std::uniform_int_distribution<int> u8(0, 255);
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (auto& b : v) b = static_cast<uint8_t>(u8(rng));
  return v;
}

TEST(QAdd, TiersMatchThePortableDefinition) {
  std::mt19937 rng(3);
  const std::vector<QAddQuant> quants = {
      {0.02f, 128, 0.03f, 100, 0.04f, 90, 0, 255},
      {0.5f, 0, 0.5f, 0, 1.0f, 0, 0, 255},     // halves: ties to even
      {1.0f, 0, 1.0f, 255, 0.01f, 7, 7, 255},  // saturates, a ReLU's range
  };
  for (const QAddQuant& q : quants)
    for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 100, 40000}) {
      const auto a = random_bytes(n, rng), b = random_bytes(n, rng);
      std::vector<uint8_t> want(a.size()), got(a.size());
      detail::qadd_kernels_portable().add(a.data(), b.data(), n, q, want.data());
      ThreadPool pool2(2);
      for (Isa isa : family_tiers("qadd", qadd_kernels())) {
        std::fill(got.begin(), got.end(), uint8_t{3});
        qadd(a.data(), b.data(), n, q, got.data(), &pool2, qadd_kernels().at(isa));
        ASSERT_EQ(got, want) << isa_name(isa) << " n " << n;
      }
    }
}

TEST(QConcat, TiersMatchThePortableDefinition) {
  std::mt19937 rng(4);
  const ByteRequant halves{0.5f, 0, 0};  // odd bytes tie
  const ByteRequant r{0.7f, 120, 30};
  for (Isa isa : family_tiers("qconcat", qconcat_kernels()))
    for (int64_t pixels : {1, 7, 50}) {
      const auto a = random_bytes(pixels * 24, rng), b = random_bytes(pixels * 17, rng),
                 c = random_bytes(pixels * 3, rng);
      const std::vector<QConcatInput> inputs = {
          {a.data(), 24, &halves}, {b.data(), 17, nullptr}, {c.data(), 3, &r}};
      std::vector<uint8_t> want(static_cast<size_t>(pixels * 44)), got(want.size());
      for (int64_t p = 0; p < pixels; ++p) {
        uint8_t* out = want.data() + p * 44;
        detail::qconcat_kernels_portable().requant(a.data() + p * 24, 24, halves, out);
        std::copy_n(b.data() + p * 17, 17, out + 24);
        detail::qconcat_kernels_portable().requant(c.data() + p * 3, 3, r, out + 41);
      }
      qconcat_channels(inputs, pixels, got.data(), nullptr, qconcat_kernels().at(isa));
      ASSERT_EQ(got, want) << isa_name(isa) << " pixels " << pixels;
    }
  // The definition itself: odd bytes times 0.5 round to even; both ends saturate.
  uint8_t y[3];
  const uint8_t x[3] = {1, 3, 5};
  detail::qconcat_kernels_portable().requant(x, 3, halves, y);
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 2);
  EXPECT_EQ(y[2], 2);
  const uint8_t ends[2] = {0, 255};
  detail::qconcat_kernels_portable().requant(ends, 2, {2.0f, 100, 30}, y);
  EXPECT_EQ(y[0], 0);    // -200 + 30
  EXPECT_EQ(y[1], 255);  // 310 + 30
}

TEST(QMaxPool, MatchesTheFloatReferenceOnTheSameValues) {
  std::mt19937 rng(5);
  Pool2dParams p;
  p.batch = 2;
  p.channels = 20;
  p.in_h = 9;
  p.in_w = 11;
  for (int64_t k : {2, 3})
    for (int64_t stride : {1, 2})
      for (int64_t pad : {0, 1}) {
        p.kernel_h = p.kernel_w = k;
        p.stride_h = p.stride_w = stride;
        p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
        const int64_t HW = p.in_h * p.in_w, OHW = p.out_h() * p.out_w();
        const auto x = random_bytes(p.batch * HW * p.channels, rng);
        std::vector<float> xf(x.size()), yf(static_cast<size_t>(p.batch * p.channels * OHW));
        for (int64_t n = 0; n < p.batch; ++n)
          for (int64_t i = 0; i < HW; ++i)
            for (int64_t c = 0; c < p.channels; ++c)
              xf[static_cast<size_t>((n * p.channels + c) * HW + i)] =
                  x[static_cast<size_t>((n * HW + i) * p.channels + c)];
        max_pool2d_reference(p, xf.data(), yf.data());
        std::vector<uint8_t> y(yf.size());
        ThreadPool pool2(2);
        qmax_pool2d_nhwc(p, x.data(), y.data(), &pool2);
        for (int64_t n = 0; n < p.batch; ++n)
          for (int64_t i = 0; i < OHW; ++i)
            for (int64_t c = 0; c < p.channels; ++c)
              ASSERT_EQ(y[static_cast<size_t>((n * OHW + i) * p.channels + c)],
                        yf[static_cast<size_t>((n * p.channels + c) * OHW + i)])
                  << "k" << k << " s" << stride << " p" << pad;
      }
}

// Written out tap by tap: the taps on the input give the sum, the taps inside the explicit
// padding too give count_include_pad's divisor.
TEST(QAveragePool, FollowsItsFormula) {
  std::mt19937 rng(7);
  Pool2dParams p;
  p.batch = 2;
  p.channels = 19;
  p.in_h = 9;
  p.in_w = 10;
  const QAverageQuant q{0.05f, 131, 0.03f, 7};
  for (int64_t k : {2, 3})
    for (int64_t stride : {1, 2})
      for (int64_t pad : {0, 1})
        for (bool include : {false, true})
          for (bool ceil : {false, true}) {
            p.kernel_h = p.kernel_w = k;
            p.stride_h = p.stride_w = stride;
            p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = pad;
            p.count_include_pad = include;
            p.ceil_mode = ceil;
            const int64_t OH = p.out_h(), OW = p.out_w(), C = p.channels;
            const auto x = random_bytes(p.batch * p.in_h * p.in_w * C, rng);
            std::vector<uint8_t> y(static_cast<size_t>(p.batch * OH * OW * C));
            ThreadPool pool2(2);
            qaverage_pool2d_nhwc(p, x.data(), q, y.data(), &pool2);
            for (int64_t n = 0; n < p.batch; ++n)
              for (int64_t oh = 0; oh < OH; ++oh)
                for (int64_t ow = 0; ow < OW; ++ow)
                  for (int64_t c = 0; c < C; ++c) {
                    int32_t sum = 0, inside = 0, padded = 0;
                    for (int64_t kh = 0; kh < k; ++kh)
                      for (int64_t kw = 0; kw < k; ++kw) {
                        const int64_t ih = oh * stride - pad + kh, iw = ow * stride - pad + kw;
                        padded += ih < p.in_h + pad && iw < p.in_w + pad;
                        if (ih < 0 || iw < 0 || ih >= p.in_h || iw >= p.in_w) continue;
                        ++inside;
                        sum += x[static_cast<size_t>(((n * p.in_h + ih) * p.in_w + iw) * C + c)];
                      }
                    const int32_t count = include ? padded : inside;
                    float v = static_cast<float>(sum - inside * 131) *
                              (0.05f / (static_cast<float>(count) * 0.03f));
                    v = std::fmin(std::fmax(v, -7.0f), 248.0f);
                    ASSERT_EQ(y[static_cast<size_t>(((n * OH + oh) * OW + ow) * C + c)],
                              static_cast<uint8_t>(std::nearbyint(v) + 7))
                        << "k" << k << " s" << stride << " p" << pad << " include " << include
                        << " ceil " << ceil;
                  }
          }
}

TEST(QGlobalAveragePool, FollowsItsFormula) {
  std::mt19937 rng(6);
  const int64_t batch = 2, pixels = 49, channels = 37;
  const auto x = random_bytes(batch * pixels * channels, rng);
  const QAverageQuant q{0.05f, 131, 0.02f, 10};
  std::vector<uint8_t> y(static_cast<size_t>(batch * channels));
  qglobal_average_pool_nhwc(x.data(), batch, pixels, channels, q, y.data(), nullptr);
  for (int64_t n = 0; n < batch; ++n)
    for (int64_t c = 0; c < channels; ++c) {
      int32_t sum = 0;
      for (int64_t i = 0; i < pixels; ++i)
        sum += x[static_cast<size_t>((n * pixels + i) * channels + c)];
      float v = static_cast<float>(sum - 49 * 131) * (0.05f / (49.0f * 0.02f));
      v = std::fmin(std::fmax(v, -10.0f), 245.0f);
      EXPECT_EQ(y[static_cast<size_t>(n * channels + c)],
                static_cast<uint8_t>(std::nearbyint(v) + 10));
    }
}

// Valid but hostile scales: their ratio overflows float, and a zero difference times infinity
// would be NaN. Every output stays defined: the zero point where the difference is zero, an end
// of the range elsewhere. UBSan checks the conversions.
TEST(QuantizedKernels, ScaleRatiosThatOverflowStayDefined) {
  const float huge = 3e38f, tiny = 1e-38f;
  const uint8_t x[3] = {0, 100, 255};
  uint8_t y[3];
  const QAddQuant qa{huge, 100, huge, 100, tiny, 50, 0, 255};
  for (Isa isa : family_tiers("qadd", qadd_kernels())) {
    qadd(x, x, 3, qa, y, nullptr, qadd_kernels().at(isa));
    EXPECT_EQ(y[0], 0) << isa_name(isa);
    EXPECT_EQ(y[1], 50) << isa_name(isa);
    EXPECT_EQ(y[2], 255) << isa_name(isa);
  }
  const ByteRequant r{requant_ratio(huge, tiny), 100, 50};
  for (Isa isa : family_tiers("qconcat", qconcat_kernels())) {
    const std::vector<QConcatInput> inputs = {{x, 3, &r}};
    qconcat_channels(inputs, 1, y, nullptr, qconcat_kernels().at(isa));
    EXPECT_EQ(y[1], 50) << isa_name(isa);
    EXPECT_EQ(y[2], 255) << isa_name(isa);
  }
  const QAverageQuant qp{huge, 100, tiny, 50};
  qglobal_average_pool_nhwc(x, 3, 1, 1, qp, y, nullptr);
  EXPECT_EQ(y[0], 0);
  EXPECT_EQ(y[1], 50);
  EXPECT_EQ(y[2], 255);
  Pool2dParams p;
  p.batch = p.channels = 1;
  p.in_h = 1;
  p.in_w = 3;
  p.kernel_h = p.kernel_w = 1;
  qaverage_pool2d_nhwc(p, x, qp, y, nullptr);
  EXPECT_EQ(y[1], 50);
}

}  // namespace
}  // namespace sinter::kernels
