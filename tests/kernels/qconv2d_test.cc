// The integer convolution at every ISA tier this CPU runs with row kernels of its own
// (family_tiers.h; its GEMM tiles and depthwise and direct rows), serial and on two threads,
// against the plain loops bit for bit: 1x1 layers on whole and partial channel blocks, gathered
// windows (3x3, strided, an image stem's 7x7 over 3 channels, dilated, grouped), depthwise windows
// (partial vectors of 8 and 16 channels, stride 2, a dilated 5x5, a 7x7 in a loop), direct stems
// of 1 to 4 vectors of 8 outputs, input zero points 0, 128 and 255, output ranges narrowed as a
// ReLU does, with and without bias and a fused residual; per-vector scales (V = 16, 32, 64, K
// padded to whole vectors) and 4-bit weights, packed as such where the layer streams its weights.
#include "kernels/qconv/qconv2d.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "family_tiers.h"

namespace sinter::kernels {
namespace {

struct Case {
  int64_t C, M, H, W, K, stride, pad, dilation, group;
};

// The weights' format: per-vector scales over vector_size k (0: per channel), and bits.
struct Format {
  int64_t vector_size = 0;
  int bits = 8;
  int64_t N = 2;
  // 1e4: biases beyond 2^24 sum units, which the row kernels add as integers; 1e7: biases clamped
  // to the int32 range, whose total with the sum wraps as the reference's does.
  float bias_scale = 1;
};

void check(const Case& c, int32_t x_zero_point, bool relu, bool with_bias, std::mt19937& rng,
           const Format& f = {}) {
  Conv2dShape s;
  s.N = f.N;
  s.C = c.C;
  s.M = c.M;
  s.H = c.H;
  s.W = c.W;
  s.KH = s.KW = c.K;
  s.stride_h = s.stride_w = c.stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = c.pad;
  s.dilation_h = s.dilation_w = c.dilation;
  s.group = c.group;
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127), s4(-8, 7);
  std::uniform_real_distribution<float> real(-1, 1), scale(0.5f, 2.0f);
  std::vector<uint8_t> x(static_cast<size_t>(s.N * s.H * s.W * s.C));
  std::vector<int8_t> w(static_cast<size_t>(s.M * s.C / s.group * s.KH * s.KW));
  std::vector<float> bias(static_cast<size_t>(s.M));
  for (auto& v : x) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(f.bits == 4 ? s4(rng) : s8(rng));
  for (auto& v : bias) v = real(rng) * f.bias_scale;
  QConvQuant q;
  q.x_scale = 0.02f * scale(rng);
  q.x_zero_point = x_zero_point;
  q.y_zero_point = 100;
  q.y_min = relu ? 100 : 0;
  const int64_t K = s.C / s.group * s.KH * s.KW;
  const int64_t vectors = f.vector_size ? (K + f.vector_size - 1) / f.vector_size : 1;
  q.vector_size = f.vector_size;
  q.weight_bits = f.bits;
  for (int64_t i = 0; i < s.M * vectors; ++i)
    q.w_scales.push_back((f.bits == 4 ? 0.16f : 0.01f) * scale(rng));
  // An output scale that spreads the sums over the u8 range, with some saturating.
  q.y_scale = q.x_scale * 0.01f * 128.0f * 30.0f *
              std::sqrt(static_cast<float>(s.C / s.group * s.KH * s.KW)) / 40.0f;
  const float* b = with_bias ? bias.data() : nullptr;
  std::vector<uint8_t> want(static_cast<size_t>(s.N * s.OH() * s.OW() * s.M)), got(want.size());
  // Every layer that can takes a residual in half the cases, at an extreme zero point.
  std::vector<uint8_t> residual(want.size());
  const bool with_residual = QConv2d::supports_residual(s) && with_bias;
  if (with_residual) {
    for (auto& v : residual) v = static_cast<uint8_t>(u8(rng));
    q.has_residual = true;
    q.r_scale = q.y_scale * 0.7f;
    q.r_zero_point = relu ? 255 : 0;
  }
  const uint8_t* r = with_residual ? residual.data() : nullptr;
  qconv2d_reference(s, x.data(), w.data(), b, q, want.data(), r);
  ThreadPool pool2(2);
  for (Isa isa : family_tiers("qconv", qconv_kernels())) {
    const QConv2d conv(s, w.data(), b, q, isa);
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), uint8_t{7});
      conv.run(x.data(), got.data(), pool, r);
      ASSERT_EQ(got, want) << isa_name(isa) << " V" << f.vector_size << " " << f.bits << " bits"
                           << (pool ? " 2 threads" : " serial") << " C" << c.C << " M" << c.M << " "
                           << c.H << "x" << c.W << " k" << c.K << " s" << c.stride << " p" << c.pad
                           << " d" << c.dilation << " g" << c.group << " zp" << x_zero_point
                           << (relu ? " relu" : "") << (r ? " residual" : "");
    }
  }
}

TEST(QConv2d, MatchesReferenceBitForBit) {
  std::mt19937 rng(5);
  const std::vector<Case> cases = {
      {32, 48, 7, 9, 1, 1, 0, 1, 1},     // 1x1 on the input as it stands
      {24, 20, 5, 6, 1, 1, 0, 1, 1},     // 1x1 on a partial block: in place but the last rows
      {40, 30, 13, 11, 1, 1, 0, 1, 1},   // the same over several chunks
      {16, 64, 6, 6, 1, 2, 0, 1, 1},     // strided 1x1
      {16, 70, 8, 23, 3, 1, 1, 1, 1},    // 3x3 in place, a partial column group
      {32, 32, 9, 41, 3, 2, 1, 1, 1},    // strided 3x3 in place
      {16, 16, 5, 22, 3, 1, 2, 2, 1},    // dilated in place
      {48, 80, 7, 7, 3, 1, 1, 1, 1},     // a 7x7 plane: gathered
      {32, 16, 10, 45, 3, 2, 0, 1, 1},   // in place, unpadded
      {24, 20, 8, 7, 3, 1, 1, 1, 1},     // 3x3 on a partial block: gathered
      {3, 16, 23, 21, 7, 2, 3, 1, 1},    // an image stem: direct
      {1, 6, 12, 12, 5, 1, 2, 1, 1},     // a grey image's stem: direct, one partial block
      {2, 20, 9, 10, 3, 2, 1, 2, 1},     // direct, two blocks, dilated and strided
      {3, 32, 20, 19, 3, 2, 1, 1, 1},    // direct, mobilenet's stem: two whole blocks
      {4, 12, 9, 11, 3, 1, 1, 1, 1},     // direct, a whole and a partial vector of 8
      {3, 64, 23, 21, 7, 2, 3, 1, 1},    // a stem with many outputs: gathered
      {8, 16, 9, 9, 3, 1, 2, 2, 1},      // dilated
      {16, 32, 6, 6, 3, 1, 1, 1, 2},     // grouped
      {32, 32, 9, 8, 3, 1, 1, 1, 32},    // depthwise
      {40, 40, 9, 9, 3, 2, 1, 1, 40},    // depthwise, strided, a partial vector
      {16, 16, 11, 11, 5, 1, 4, 2, 16},  // depthwise, dilated 5x5
      {20, 20, 10, 13, 3, 1, 1, 1, 20},  // depthwise, a partial vector of 8
      {5, 5, 7, 9, 3, 2, 1, 1, 5},       // depthwise, fewer channels than a vector
      {24, 24, 12, 12, 7, 1, 3, 1, 24}   // depthwise 7x7: the taps in a loop
  };
  int i = 0;
  for (const Case& c : cases)
    for (int32_t zp : {0, 128, 255}) {
      check(c, zp, i % 2 == 0, i % 3 != 0, rng);
      ++i;
    }
}

TEST(QConv2d, PerVectorAndFourBitWeightsMatchReference) {
  std::mt19937 rng(9);
  const std::vector<Case> cases = {
      {32, 48, 7, 9, 1, 1, 0, 1, 1},   // 1x1 in place
      {40, 20, 5, 6, 1, 1, 0, 1, 1},   // 1x1, K padded to whole vectors: reads into next pixels
      {16, 70, 8, 23, 3, 1, 1, 1, 1},  // 3x3 in place, K padded to whole vectors
      {48, 80, 7, 7, 3, 1, 1, 1, 1},   // gathered
      {24, 20, 8, 7, 3, 2, 1, 1, 1},   // gathered, a partial block
      {3, 16, 23, 21, 7, 2, 3, 1, 1},  // an image stem, gathered
      {16, 32, 6, 6, 3, 1, 1, 1, 2},   // grouped
  };
  const std::vector<Case> streaming = {
      {64, 40, 1, 1, 1, 1, 0, 1, 1},   // a fully connected layer at batch 1
      {200, 70, 1, 1, 1, 1, 0, 1, 1},  // the same, K and M not whole blocks
      {32, 24, 3, 3, 3, 2, 1, 1, 1},   // a small plane: 4 output pixels
  };
  int i = 0;
  for (int64_t V : {0, 16, 32, 64})
    for (int bits : {8, 4}) {
      for (const Case& c : cases) {
        check(c, i % 3 == 0 ? 0 : 131, i % 2 == 0, i % 4 != 1, rng, {V, bits});
        ++i;
      }
      for (const Case& c : streaming) {
        check(c, i % 3 == 0 ? 255 : 3, i % 2 == 0, i % 4 != 1, rng, {V, bits, 1});
        ++i;
      }
    }
}

TEST(QConv2d, RowKernelsTakeBiasesBeyondFloatPrecision) {
  std::mt19937 rng(13);
  for (const Case& c : {Case{32, 32, 9, 8, 3, 1, 1, 1, 32}, Case{40, 40, 9, 9, 3, 2, 1, 1, 40},
                        Case{3, 16, 23, 21, 7, 2, 3, 1, 1}})
    for (float bias_scale : {1e4f, 1e7f}) check(c, 77, false, true, rng, {0, 8, 2, bias_scale});
}

TEST(QConv2d, PacksFourBitWeightsWhereTheyStream) {
  Conv2dShape s;
  s.N = 1;
  s.C = 64;
  s.M = 32;
  s.H = s.W = 1;
  s.KH = s.KW = 1;
  const std::vector<int8_t> w(static_cast<size_t>(s.C * s.M), 3);
  QConvQuant q;
  q.weight_bits = 4;
  q.vector_size = 32;
  q.w_scales.assign(static_cast<size_t>(s.M * 2), 0.1f);
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).packed_bits(), 4);
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).vector_size(), 32);
  s.N = 16;  // 16 rows: compute-bound, widened to s8
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).packed_bits(), 8);
  q.w_scales.pop_back();
  EXPECT_THROW(QConv2d(s, w.data(), nullptr, q), InputError);
}

TEST(QConv2d, ChoosesTheAlgorithmByShape) {
  Conv2dShape s;
  s.C = s.M = 32;
  s.H = s.W = 24;
  std::vector<int8_t> w(32 * 32 * 9);
  QConvQuant q;
  q.w_scales.assign(32, 1.0f);
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).algorithm(), QConv2d::Algorithm::kPointwise);
  s.KH = s.KW = 3;
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).algorithm(), QConv2d::Algorithm::kWindow);
  s.C = s.M = 24;
  q.w_scales.assign(24, 1.0f);
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).algorithm(), QConv2d::Algorithm::kGemm);
  s.C = s.M = 32;
  q.w_scales.assign(32, 1.0f);
  s.group = 32;
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).algorithm(), QConv2d::Algorithm::kDepthwise);
  s.group = 1;
  s.C = 3;
  s.M = 16;
  q.w_scales.assign(16, 1.0f);
  EXPECT_EQ(QConv2d(s, w.data(), nullptr, q).algorithm(), QConv2d::Algorithm::kDirect);
}

}  // namespace
}  // namespace sinter::kernels
