// The integer GEMM at every ISA tier with code of its own (the AVX-512 tier only where the CPU has
// AVX-512-VNNI; at AVX2 both tables, AVX-VNNI's where the CPU has it and vpmaddubsw's always),
// serial and on two threads, against the plain loops, bit for bit: shapes around the tile sizes
// (rows 1-13, columns 1-100, K not a multiple of 4 or 16), zero points 0, 128 and 255, weights
// over all of s8 and within +-64 (vpmaddubsw's direct path), the worst cases for 16-bit
// intermediates (255 everywhere times -128, +127, +-64 and +-65, K = 1024); requantized outputs
// with and without a residual against the scalar definition. 4-bit weights (two a byte) the same
// way, over [-8, 7] and at its ends against A = 255.
#include "kernels/qgemm/qgemm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "qgemm_variants.h"

namespace sinter::kernels {
namespace {

// Weights drawn from [-max_abs_weight, 127] as s8, from [-8, 7] as 4-bit.
std::uniform_int_distribution<int> weight_values(int max_abs_weight, int bits) {
  if (bits == 4) return std::uniform_int_distribution<int>(-8, 7);
  return std::uniform_int_distribution<int>(-max_abs_weight, std::min(max_abs_weight, 127));
}

void check(const std::vector<uint8_t>& a, const std::vector<int8_t>& w, int64_t M, int64_t N,
           int64_t K, int32_t zero_point, int bits = 8) {
  std::vector<int32_t> want(static_cast<size_t>(M * N)), got(want.size());
  qgemm_reference(a.data(), M, K, zero_point, w.data(), N, want.data());
  const QPackedWeights packed(w.data(), N, K, bits);
  ThreadPool pool2(2);
  for (const QGemmVariant& variant : qgemm_variants())
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), -7);
      qgemm(a.data(), M, zero_point, packed, got.data(), pool, *variant.kernels);
      ASSERT_EQ(got, want) << variant.name << (pool ? " 2 threads" : " serial") << " M" << M << " N"
                           << N << " K" << K << " zp" << zero_point << " max |w| "
                           << packed.max_abs_weight() << " bits " << bits;
    }
}

void check_random(int64_t M, int64_t N, int64_t K, int32_t zero_point, int max_abs_weight,
                  std::mt19937& rng, int bits = 8) {
  std::uniform_int_distribution<int> u8(0, 255), s8 = weight_values(max_abs_weight, bits);
  std::vector<uint8_t> a(static_cast<size_t>(M * K));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  check(a, w, M, N, K, zero_point, bits);
}

TEST(QGemm, MatchesReferenceBitForBit) {
  std::mt19937 rng(41);
  for (int max_abs_weight : {128, 64})
    for (int64_t M : {1, 5, 6, 7, 13})
      for (int64_t N : {1, 16, 17, 64, 65, 100})
        for (int64_t K : {3, 16, 36, 100, 300})
          check_random(M, N, K, M % 2 ? 128 : 0, max_abs_weight, rng);
  check_random(20, 48, 64, 255, 128, rng);
}

TEST(QGemm, Int4WeightsMatchReferenceBitForBit) {
  std::mt19937 rng(45);
  int i = 0;
  for (int64_t M : {1, 2, 3, 5, 6, 7, 13})
    for (int64_t N : {1, 16, 17, 33, 64, 65, 100})
      for (int64_t K : {3, 16, 36, 100, 300})
        check_random(M, N, K, std::array{0, 128, 255}[i++ % 3], 8, rng, 4);
}

// A = 255 against the ends of the 4-bit range (16 * -8 = -128 is the AVX-512 and AVX-VNNI tiles'
// scaled weight), alone and alternating, and a row of k whose nibbles differ from their byte's
// other nibble in sign.
TEST(QGemm, Int4ExtremeValues) {
  const int64_t M = 6, N = 64, K = 1024;
  const std::vector<uint8_t> a(static_cast<size_t>(M * K), 255);
  for (int value : {-8, 7, -1, 1})
    for (int32_t zero_point : {0, 128, 255}) {
      const std::vector<int8_t> w(static_cast<size_t>(N * K), static_cast<int8_t>(value));
      check(a, w, M, N, K, zero_point, 4);
    }
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(i / 4 % 2 ? 7 : -8);
  check(a, w, M, N, K, 128, 4);
}

// A = 255 everywhere against the weights that push 16-bit pair sums furthest: -128 and +127
// (2 * 255 * -128 would saturate: the exact split path), +-64 (the direct vpmaddubsw path's bound,
// 2 * 255 * 64 = 32640) and +-65 just above it, and a single -128 among weights within +-64, which
// sends the whole matrix down the exact path.
TEST(QGemm, ExtremeValuesDoNotSaturate) {
  const int64_t M = 6, N = 64, K = 1024;
  const std::vector<uint8_t> a(static_cast<size_t>(M * K), 255);
  for (int value : {-128, 127, 64, -64, 65, -65})
    for (int32_t zero_point : {0, 128}) {
      const std::vector<int8_t> w(static_cast<size_t>(N * K), static_cast<int8_t>(value));
      check(a, w, M, N, K, zero_point);  // 1024 * 255 * -128 = -33423360 at the extreme
    }
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(i % 3 ? 64 : -64);
  w[N * K / 2] = -128;
  check(a, w, M, N, K, 0);
}

TEST(QGemm, PackingRecordsTheLargestWeightMagnitude) {
  const auto max_abs = [](std::vector<int8_t> w) {
    return QPackedWeights(w.data(), 2, static_cast<int64_t>(w.size()) / 2).max_abs_weight();
  };
  EXPECT_EQ(max_abs({0, 0, 0, 0}), 0);
  EXPECT_EQ(max_abs({1, -64, 64, 3}), 64);
  EXPECT_EQ(max_abs({1, 65, -2, 3}), 65);
  EXPECT_EQ(max_abs({127, 0, 0, 0}), 127);
  EXPECT_EQ(max_abs({0, 0, 0, -128}), 128);
  EXPECT_EQ(QPackedWeights(std::vector<int8_t>{1, -8, 7, 3}.data(), 2, 2, 4).max_abs_weight(), 8);
}

// Two 4-bit weights a byte: k quad 2p in the low nibbles of row p, quad 2p + 1 in the high ones.
TEST(QGemm, Int4WeightsPackTwoAByte) {
  const int64_t N = 80, K = 40;  // two groups, 64 and 16 columns; K padded to 48
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (int64_t i = 0; i < N * K; ++i) w[static_cast<size_t>(i)] = static_cast<int8_t>(i % 16 - 8);
  const QPackedWeights s8(w.data(), N, K), s4(w.data(), N, K, 4);
  EXPECT_EQ(s8.group(1) - s8.group(0), 48 * 64);
  EXPECT_EQ(s4.group(1) - s4.group(0), 48 * 64 / 2);
  const auto* bytes = reinterpret_cast<const uint8_t*>(s4.group(1));  // columns 64-79, width 16
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j = 0; j < 16; ++j) {
      const uint8_t byte = bytes[(k / 8 * 16 + j) * 4 + k % 4];
      EXPECT_EQ((k / 4 % 2 ? byte >> 4 : byte & 0xf),
                w[static_cast<size_t>((64 + j) * K + k)] & 0xf)
          << "k " << k << " column " << 64 + j;
    }
}

TEST(QGemm, BadWeightFormatsThrow) {
  const std::vector<int8_t> w(32, 1);
  const auto throws = [&](std::vector<int8_t> values, int bits, const char* says) {
    try {
      QPackedWeights(values.data(), 2, 16, bits);
      ADD_FAILURE() << "no error for " << says;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(says), std::string::npos) << e.what();
    }
  };
  std::vector<int8_t> w8 = w, w_minus9 = w;
  w8[17] = 8;
  w_minus9[3] = -9;
  throws(w8, 4, "W[1][1] = 8 is outside [-8, 7]");
  throws(w_minus9, 4, "W[0][3] = -9 is outside [-8, 7]");
  throws(w, 3, "3 bits a weight (4 or 8 are packed)");
  throws(w, 16, "16 bits");
}

// Requantized outputs, bit for bit against qgemm_requantized_reference (requantize_value over the
// reference sums): per-column multipliers, a bias holding the zero point's share, clamps narrowed
// as a ReLU or Clip does, sums that land exactly on .5 (ties to even), and multipliers large
// enough to saturate. With a residual, its bytes span 0-255 and a quarter of them sit at 0 or 255.
void check_requantized(int64_t M, int64_t N, int64_t K, int32_t a_zero_point, float scale,
                       QRequant q, std::mt19937& rng, bool with_residual = false,
                       int max_abs_weight = 128, int bits = 8) {
  std::uniform_int_distribution<int> u8(0, 255), s8 = weight_values(max_abs_weight, bits),
                                                 b32(-5000, 5000);
  std::vector<uint8_t> a(static_cast<size_t>(M * K)), residual;
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  if (with_residual) {
    residual.resize(static_cast<size_t>(M * N));
    for (auto& v : residual) {
      const int draw = u8(rng);
      v = static_cast<uint8_t>(draw < 32 ? 0 : draw < 64 ? 255 : u8(rng));
    }
  }
  const QPackedWeights packed(w.data(), N, K, bits);
  std::vector<int32_t> bias(static_cast<size_t>(N));
  std::vector<float> multiplier(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    bias[static_cast<size_t>(n)] =
        b32(rng) - a_zero_point * packed.column_sums()[static_cast<size_t>(n)];
    multiplier[static_cast<size_t>(n)] = scale * static_cast<float>(1 + n % 7) / 4.0f;
  }
  q.bias = bias.data();
  q.multiplier = multiplier.data();
  const uint8_t* r = with_residual ? residual.data() : nullptr;
  std::vector<uint8_t> want(static_cast<size_t>(M * N)), got(want.size());
  qgemm_requantized_reference(a.data(), M, K, w.data(), N, q, r, want.data());
  ThreadPool pool2(2);
  for (const QGemmVariant& variant : qgemm_variants())
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), 7);
      qgemm_requantized(a.data(), M, packed, q, got.data(), r, pool, *variant.kernels);
      ASSERT_EQ(got, want) << variant.name << (pool ? " 2 threads" : " serial") << " M" << M << " N"
                           << N << " K" << K << " scale " << scale << " residual "
                           << (r ? "yes" : "no") << " x " << q.residual_multiplier << " zp "
                           << q.residual_zero_point << " bits " << bits;
    }
}

TEST(QGemm, RequantizesLikeTheScalarDefinition) {
  std::mt19937 rng(43);
  for (int64_t N : {1, 16, 37, 64, 70})
    for (float scale : {1e-4f, 1.0f / 1024, 0.5f, 3.0f})
      check_requantized(9, N, 52, 128, scale, {nullptr, nullptr, 128, 0, 255}, rng);
  check_requantized(7, 40, 100, 0, 1.0f / 512, {nullptr, nullptr, 10, 10, 255}, rng);  // ReLU
  check_requantized(7, 40, 100, 0, 1.0f / 512, {nullptr, nullptr, 0, 0, 60}, rng);     // Clip
}

// Residual multipliers that make ties (1/4, 1/2), one whose products are inexact (1/3: only a
// fused multiply-add rounds them as requantize_value does), small and saturating ones.
TEST(QGemm, RequantizesWithResidualLikeTheScalarDefinition) {
  std::mt19937 rng(44);
  for (int64_t N : {1, 16, 37, 64, 70})
    for (float scale : {1.0f / 1024, 0.5f})
      for (auto [multiplier, zero_point] :
           {std::pair{0.25f, 0}, {1.0f / 3, 128}, {0.5f, 255}, {1e-3f, 17}, {4.0f, 100}})
        check_requantized(9, N, 52, 128, scale,
                          {nullptr, nullptr, 128, 0, 255, multiplier, zero_point}, rng, true);
  check_requantized(7, 40, 100, 0, 1.0f / 512, {nullptr, nullptr, 10, 10, 255, 0.5f, 128}, rng,
                    true);  // ReLU
  check_requantized(7, 40, 100, 0, 1.0f / 512, {nullptr, nullptr, 0, 0, 60, 1.0f / 3, 0}, rng,
                    true);  // Clip
  check_requantized(7, 40, 100, 0, 1.0f / 512, {nullptr, nullptr, 0, 0, 255}, rng,
                    true);  // a residual multiplier of 0 adds nothing
  check_requantized(13, 70, 100, 128, 1.0f / 256, {nullptr, nullptr, 128, 0, 255, 0.25f, 128}, rng,
                    true, 64);  // weights within +-64: vpmaddubsw's direct path
  for (int32_t a_zero_point : {0, 128, 255})
    for (bool with_residual : {false, true})
      check_requantized(13, 70, 100, a_zero_point, 1.0f / 64,
                        {nullptr, nullptr, 128, 0, 255, 0.25f, 128}, rng, with_residual, 8, 4);
}

TEST(QGemm, RequantizationRoundsHalvesToEven) {
  const QRequant q{nullptr, nullptr, 100, 0, 255};
  EXPECT_EQ(requantize_value(5, 0, 0.5f, q), 102);            // 2.5 -> 2
  EXPECT_EQ(requantize_value(7, 0, 0.5f, q), 104);            // 3.5 -> 4
  EXPECT_EQ(requantize_value(-5, 0, 0.5f, q), 98);            // -2.5 -> -2
  EXPECT_EQ(requantize_value(1 << 30, 1 << 30, 1.0f, q), 0);  // wraps to INT_MIN, clamps to lo
  const QRequant with_residual{nullptr, nullptr, 100, 0, 255, 0.5f, 10};
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 15, with_residual), 102);    // 2.5 -> 2
  EXPECT_EQ(requantize_value(1, 0, 1.0f, 15, with_residual), 104);    // 3.5 -> 4
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 5, with_residual), 98);      // -2.5 -> -2
  EXPECT_EQ(requantize_value(-2, 0, 0.25f, 10, with_residual), 100);  // -0.5 -> -0
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 255, with_residual), 222);   // 122.5 -> 122
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 0, with_residual), 95);      // -5
}

TEST(QGemm, ResidualSaturatesAtTheOutputRange) {
  const QRequant q{nullptr, nullptr, 128, 0, 255, 2.0f, 0};
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 255, q), 255);  // 128 + 510
  EXPECT_EQ(requantize_value(-1000, 0, 1.0f, 255, q), 0);
  const QRequant shifted{nullptr, nullptr, 0, 0, 255, 1.0f, 255};
  EXPECT_EQ(requantize_value(0, 0, 1.0f, 0, shifted), 0);  // -255
  EXPECT_EQ(requantize_value(300, 0, 1.0f, 0, shifted), 45);
}

// float(-1) * 1 + 5 * 0.3f: 5 * 0.3f is 1.50000006 exactly, so the fused sum 0.50000006 rounds to
// 1, while the product rounded first (1.5f) would tie at 0.5 and round to 0. Every tier, through a
// GEMM whose sums are all -1, must give the fused result.
TEST(QGemm, ResidualTakesOneFusedMultiplyAdd) {
  const QRequant q0{nullptr, nullptr, 100, 0, 255, 0.3f, 0};
  EXPECT_EQ(requantize_value(-1, 0, 1.0f, 5, q0), 101);
  const int64_t M = 7, N = 40, K = 5;
  const std::vector<uint8_t> a(static_cast<size_t>(M * K), 1), residual(M * N, 5);
  std::vector<int8_t> w(static_cast<size_t>(N * K), 0);
  for (int64_t n = 0; n < N; ++n) w[static_cast<size_t>(n * K + n % K)] = -1;
  const QPackedWeights packed(w.data(), N, K);
  const std::vector<int32_t> bias(N, 0);
  const std::vector<float> multiplier(N, 1.0f);
  QRequant q = q0;
  q.bias = bias.data();
  q.multiplier = multiplier.data();
  const std::vector<uint8_t> want(static_cast<size_t>(M * N), 101);
  std::vector<uint8_t> got(want.size());
  for (const QGemmVariant& variant : qgemm_variants()) {
    qgemm_requantized(a.data(), M, packed, q, got.data(), residual.data(), nullptr,
                      *variant.kernels);
    EXPECT_EQ(got, want) << variant.name;
  }
}

}  // namespace
}  // namespace sinter::kernels
