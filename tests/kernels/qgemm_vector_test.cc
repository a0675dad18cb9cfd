// The integer GEMM with per-vector scales (VS-Quant) at every ISA tier with code of its own (both
// AVX2 tables), serial and on two threads, bit for bit against qgemm_vector_requantized_reference:
// vectors of 16, 32 and 64 k, s8 and 4-bit weights, rows 1-13, columns 1-100, K whole vectors and
// not, A zero points 0, 128 and 255 taken out through scaled_zero_point_share, with and without a
// residual, clamps narrowed, the extreme sums (A = 255 against -128/127 and -8/7), ties, and a
// case only the fused multiply-add of add_vector_sum rounds right. Then the zero point's share
// against exact sums, and the bad arguments.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "core/error.h"
#include "kernels/qgemm/qgemm.h"
#include "qgemm_variants.h"

namespace sinter::kernels {
namespace {

// One per-vector GEMM's operands; scaled_bias holds bias less the A zero point's share.
struct VectorCase {
  int64_t M, N, K, V;
  int bits;
  std::vector<uint8_t> a, residual;
  std::vector<int8_t> w;
  std::vector<float> scales, scaled_bias, multiplier;
  QRequant q{nullptr, nullptr, 128, 0, 255};
};

VectorCase shaped(int64_t M, int64_t N, int64_t K, int64_t V, int bits) {
  VectorCase c;
  c.M = M;
  c.N = N;
  c.K = K;
  c.V = V;
  c.bits = bits;
  return c;
}

int64_t vectors_of(const VectorCase& c) { return (c.K + c.V - 1) / c.V; }

// Runs every variant, serial and on two threads, against the reference; returns its output.
std::vector<uint8_t> check(VectorCase& c, const std::string& what) {
  const QPackedWeights packed(c.w.data(), c.N, c.K, c.bits, c.V, c.scales.data());
  c.q.scaled_bias = c.scaled_bias.data();
  c.q.multiplier = c.multiplier.data();
  const uint8_t* r = c.residual.empty() ? nullptr : c.residual.data();
  std::vector<uint8_t> want(static_cast<size_t>(c.M * c.N)), got(want.size());
  qgemm_vector_requantized_reference(c.a.data(), c.M, c.K, c.w.data(), c.N, c.V, c.scales.data(),
                                     c.q, r, want.data());
  ThreadPool pool2(2);
  for (const QGemmVariant& variant : qgemm_variants())
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), 7);
      qgemm_requantized(c.a.data(), c.M, packed, c.q, got.data(), r, pool, *variant.kernels);
      EXPECT_EQ(got, want) << variant.name << (pool ? " 2 threads" : " serial") << " M" << c.M
                           << " N" << c.N << " K" << c.K << " V" << c.V << " bits " << c.bits
                           << " residual " << (r ? "yes" : "no") << " " << what;
      if (got != want) return want;
    }
  return want;
}

// Random operands: weights over their whole range, scales spread over four octaves (an eighth
// negative), a bias around zero, and a multiplier that maps the typical sum to a few tens of
// output steps, so the outputs cover the range with some saturating.
VectorCase random_case(int64_t M, int64_t N, int64_t K, int64_t V, int bits, int32_t a_zero_point,
                       bool with_residual, std::mt19937& rng) {
  VectorCase c = shaped(M, N, K, V, bits);
  std::uniform_int_distribution<int> u8(0, 255), w8(-128, 127), w4(-8, 7), sign(0, 7);
  std::uniform_real_distribution<float> octave(-10, -6), unit(-1, 1);
  c.a.resize(static_cast<size_t>(M * K));
  for (auto& v : c.a) v = static_cast<uint8_t>(u8(rng));
  c.w.resize(static_cast<size_t>(N * K));
  for (auto& v : c.w) v = static_cast<int8_t>(bits == 4 ? w4(rng) : w8(rng));
  c.scales.resize(static_cast<size_t>(N * vectors_of(c)));
  for (auto& s : c.scales) s = std::exp2(octave(rng)) * (sign(rng) == 0 ? -1.0f : 1.0f);
  const QPackedWeights packed(c.w.data(), N, K, bits, V, c.scales.data());
  const float typical = (bits == 4 ? 4.0f : 64.0f) * 128 * std::sqrt(static_cast<float>(K)) / 256;
  for (int64_t n = 0; n < N; ++n) {
    c.scaled_bias.push_back(unit(rng) * typical - packed.scaled_zero_point_share(n, a_zero_point));
    c.multiplier.push_back(static_cast<float>(1 + n % 7) * 16 / typical);
  }
  if (with_residual) {
    c.residual.resize(static_cast<size_t>(M * N));
    for (auto& v : c.residual) v = static_cast<uint8_t>(u8(rng));
    c.q.residual_multiplier = 1.0f / 3;
    c.q.residual_zero_point = 100;
  }
  return c;
}

TEST(QGemmVector, MatchesReferenceBitForBit) {
  std::mt19937 rng(51);
  int i = 0;
  for (int64_t V : {16, 32, 64})
    for (int bits : {8, 4})
      for (int64_t M : {1, 2, 3, 4, 6, 7, 13})
        for (int64_t N : {1, 16, 17, 33, 64, 100})
          for (int64_t K : {V, 2 * V + 5, 3 * V, 9 * V}) {
            VectorCase c =
                random_case(M, N, K, V, bits, std::array{0, 128, 255}[i % 3], i % 2 == 1, rng);
            ++i;
            check(c, "random");
          }
}

// The outputs of random_case are spread over the range, not all clamped.
TEST(QGemmVector, RandomOutputsCoverTheRange) {
  std::mt19937 rng(52);
  for (int bits : {8, 4}) {
    VectorCase c = random_case(13, 100, 576, 32, bits, 128, false, rng);
    const std::vector<uint8_t> y = check(c, "spread");
    EXPECT_GT(std::set<uint8_t>(y.begin(), y.end()).size(), 100u) << "bits " << bits;
  }
}

// Clamps narrowed as a ReLU (lo = zero point) and a Clip do, a residual of 0 and 255.
TEST(QGemmVector, RequantizesWithClampsAndResidual) {
  std::mt19937 rng(53);
  for (int bits : {8, 4})
    for (QRequant q :
         {QRequant{nullptr, nullptr, 10, 10, 255}, QRequant{nullptr, nullptr, 0, 0, 60},
          QRequant{nullptr, nullptr, 128, 0, 255, 2.0f, 0}}) {
      VectorCase c = random_case(7, 40, 128, 16, bits, 128, true, rng);
      for (size_t i = 0; i < c.residual.size(); ++i)
        if (i % 4 == 0) c.residual[i] = i % 8 ? 0 : 255;
      c.q = q;
      check(c, "clamp " + std::to_string(q.lo) + "-" + std::to_string(q.hi));
    }
}

// A = 255 everywhere against the weights' ends, V = 64: the largest vector sums (64 * 255 * -128),
// with scales large enough to saturate and small enough not to.
TEST(QGemmVector, ExtremeValues) {
  const int64_t M = 6, N = 64, K = 1024, V = 64;
  for (int bits : {8, 4})
    for (int value : bits == 4 ? std::vector<int>{-8, 7} : std::vector<int>{-128, 127})
      for (float scale : {1.0f / 4096, 1.0f / 8388608, 1.0f})
        for (int32_t a_zero_point : {0, 255}) {
          VectorCase c = shaped(M, N, K, V, bits);
          c.a.assign(static_cast<size_t>(M * K), 255);
          c.w.assign(static_cast<size_t>(N * K), static_cast<int8_t>(value));
          c.scales.assign(static_cast<size_t>(N * K / V), scale);
          const QPackedWeights packed(c.w.data(), N, K, bits, V, c.scales.data());
          for (int64_t n = 0; n < N; ++n) {
            c.scaled_bias.push_back(-packed.scaled_zero_point_share(n, a_zero_point));
            c.multiplier.push_back(1.0f / 16);
          }
          check(c, "w " + std::to_string(value) + " scale " + std::to_string(scale));
        }
}

// Small operands, scales of 0.5 and a multiplier of 1: the float sums are exact and half of
// them end in .5, which every tier must round to even.
TEST(QGemmVector, RoundsTiesToEven) {
  std::mt19937 rng(54);
  std::uniform_int_distribution<int> small_a(0, 3), small_w(-2, 2);
  for (int bits : {8, 4}) {
    const int64_t M = 9, N = 70, K = 96, V = 32;
    VectorCase c = shaped(M, N, K, V, bits);
    for (int64_t i = 0; i < M * K; ++i) c.a.push_back(static_cast<uint8_t>(small_a(rng)));
    for (int64_t i = 0; i < N * K; ++i) c.w.push_back(static_cast<int8_t>(small_w(rng)));
    c.scales.assign(static_cast<size_t>(N * K / V), 0.5f);
    c.scaled_bias.assign(static_cast<size_t>(N), 0.0f);
    c.multiplier.assign(static_cast<size_t>(N), 1.0f);
    check(c, "ties");
  }
  const QRequant q{nullptr, nullptr, 100, 0, 255};
  EXPECT_EQ(requantize_vector_sums(2.5f, 0, 1.0f, q), 102);
  EXPECT_EQ(requantize_vector_sums(3, 0.5f, 1.0f, q), 104);
  EXPECT_EQ(requantize_vector_sums(-4, -1, 0.5f, q), 98);  // -2.5
}

// Vector 0 sums to -1 (scale 1), vector 1 to 5 (scale 0.3f): fused, -1 + 5 * 0.3f is 0.50000006
// and rounds to 1; with the product rounded first (1.5f) it would tie at 0.5 and round to 0.
TEST(QGemmVector, EachVectorTakesOneFusedMultiplyAdd) {
  EXPECT_EQ(add_vector_sum(add_vector_sum(0, -1, 1.0f), 5, 0.3f), 0.50000006f);
  const int64_t M = 7, N = 40, K = 32, V = 16;
  VectorCase c = shaped(M, N, K, V, 8);
  c.a.assign(static_cast<size_t>(M * K), 1);
  c.w.assign(static_cast<size_t>(N * K), 0);
  for (int64_t n = 0; n < N; ++n) {
    c.w[static_cast<size_t>(n * K + n % V)] = -1;
    for (int64_t k = V; k < V + 5; ++k) c.w[static_cast<size_t>(n * K + k)] = 1;
    c.scales.insert(c.scales.end(), {1.0f, 0.3f});
  }
  c.scaled_bias.assign(static_cast<size_t>(N), 0.0f);
  c.multiplier.assign(static_cast<size_t>(N), 1.0f);
  c.q = {nullptr, nullptr, 100, 0, 255};
  EXPECT_EQ(check(c, "fused"), std::vector<uint8_t>(static_cast<size_t>(M * N), 101));
}

// With scaled_bias = -scaled_zero_point_share, the outputs are those of the exact sums of
// (a - zero point) * w * scale, within the float rounding (one step where a value lands near .5).
TEST(QGemmVector, ZeroPointShareMatchesExactSums) {
  std::mt19937 rng(55);
  for (int bits : {8, 4})
    for (int32_t a_zero_point : {0, 128, 255}) {
      VectorCase c = random_case(5, 50, 200, 32, bits, a_zero_point, false, rng);
      const QPackedWeights packed(c.w.data(), c.N, c.K, bits, c.V, c.scales.data());
      for (int64_t n = 0; n < c.N; ++n)
        c.scaled_bias[static_cast<size_t>(n)] = -packed.scaled_zero_point_share(n, a_zero_point);
      const std::vector<uint8_t> got = check(c, "zero point");
      for (int64_t m = 0; m < c.M; ++m)
        for (int64_t n = 0; n < c.N; ++n) {
          double exact = 0;
          for (int64_t k = 0; k < c.K; ++k)
            exact += (c.a[static_cast<size_t>(m * c.K + k)] - a_zero_point) *
                     static_cast<double>(c.w[static_cast<size_t>(n * c.K + k)]) *
                     c.scales[static_cast<size_t>(n * vectors_of(c) + k / c.V)];
          const double y = std::clamp(std::nearbyint(exact * c.multiplier[static_cast<size_t>(n)]),
                                      -128.0, 127.0) +
                           128;
          EXPECT_NEAR(got[static_cast<size_t>(m * c.N + n)], y, 1.0)
              << "m " << m << " n " << n << " zp " << a_zero_point << " bits " << bits;
        }
    }
}

TEST(QGemmVector, PackingPadsKToWholeVectors) {
  const std::vector<int8_t> w(2 * 40, 1);
  const std::vector<float> scales(2 * 2, 1.0f);
  const QPackedWeights packed(w.data(), 2, 40, 8, 32, scales.data());
  EXPECT_EQ(packed.k_blocks(), 4);
  EXPECT_EQ(packed.vectors(), 2);
  EXPECT_EQ(packed.vector_size(), 32);
  EXPECT_FLOAT_EQ(packed.scaled_zero_point_share(1, 3), 3.0f * 40);
}

TEST(QGemmVector, BadArgumentsThrow) {
  const std::vector<int8_t> w(2 * 64, 1);
  const std::vector<float> scales(2 * 4, 1.0f);
  const auto says = [](auto make, const char* text) {
    try {
      make();
      ADD_FAILURE() << "no error for " << text;
    } catch (const InputError& e) {
      EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
  };
  for (int64_t V : {8, 24, -16})
    says([&] { QPackedWeights(w.data(), 2, 64, 8, V, scales.data()); },
         "a vector must be a positive multiple of 16");
  says([&] { QPackedWeights(w.data(), 2, 64, 8, 16, nullptr); }, "without their scales");
  std::vector<int8_t> w9 = w;
  w9[70] = -9;
  says([&] { QPackedWeights(w9.data(), 2, 64, 4, 16, scales.data()); },
       "W[1][6] = -9 is outside [-8, 7]");
  const QPackedWeights packed(w.data(), 2, 64, 8, 16, scales.data());
  const std::vector<uint8_t> a(64, 1);
  std::vector<int32_t> c(2);
  says([&] { qgemm(a.data(), 1, 0, packed, c.data()); }, "use qgemm_requantized");
  const std::vector<float> multiplier(2, 1.0f);
  std::vector<uint8_t> y(2);
  says(
      [&] {
        qgemm_requantized(a.data(), 1, packed, {nullptr, multiplier.data(), 0, 0, 255}, y.data());
      },
      "scaled_bias, none given");
}

}  // namespace
}  // namespace sinter::kernels
