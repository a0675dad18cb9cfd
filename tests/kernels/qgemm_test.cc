// The integer GEMM at every ISA tier with code of its own (the AVX-512 tier only where the CPU has
// AVX-512-VNNI), serial and on two threads, against the plain loops, bit for bit: shapes around
// the tile sizes (rows 1-13, columns 1-100, K not a multiple of 4 or 16), zero points 0, 128 and
// 255, and the worst case for 16-bit intermediates (255 x -128 everywhere, K = 1024).
#include "kernels/qgemm/qgemm.h"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <vector>

#include "family_tiers.h"

namespace sinter::kernels {
namespace {

void check(int64_t M, int64_t N, int64_t K, int32_t zero_point, std::mt19937& rng,
           bool extreme = false) {
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  std::vector<uint8_t> a(static_cast<size_t>(M * K));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = extreme ? 255 : static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = extreme ? -128 : static_cast<int8_t>(s8(rng));
  std::vector<int32_t> want(static_cast<size_t>(M * N)), got(want.size());
  qgemm_reference(a.data(), M, K, zero_point, w.data(), N, want.data());
  const QPackedWeights packed(w.data(), N, K);
  ThreadPool pool2(2);
  for (Isa isa : family_tiers("qgemm", qgemm_kernels()))
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), -7);
      qgemm(a.data(), M, zero_point, packed, got.data(), pool, qgemm_kernels().at(isa));
      ASSERT_EQ(got, want) << isa_name(isa) << (pool ? " 2 threads" : " serial") << " M" << M
                           << " N" << N << " K" << K << " zp" << zero_point;
    }
}

TEST(QGemm, MatchesReferenceBitForBit) {
  std::mt19937 rng(41);
  for (int64_t M : {1, 5, 6, 7, 13})
    for (int64_t N : {1, 16, 17, 64, 65, 100})
      for (int64_t K : {3, 16, 36, 100, 300}) check(M, N, K, M % 2 ? 128 : 0, rng);
  check(20, 48, 64, 255, rng);
}

TEST(QGemm, ExtremeValuesDoNotSaturate) {
  std::mt19937 rng(42);
  check(6, 64, 1024, 0, rng, true);  // 1024 * 255 * -128 = -33423360
}

// Requantized outputs, bit for bit against requantize_value over the reference sums: per-column
// multipliers, a bias holding the zero point's share, clamps narrowed as a ReLU or Clip does,
// sums that land exactly on .5 (ties to even), and multipliers large enough to saturate.
void check_requantized(int64_t M, int64_t N, int64_t K, int32_t a_zero_point, float scale,
                       QRequant q, std::mt19937& rng) {
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127), b32(-5000, 5000);
  std::vector<uint8_t> a(static_cast<size_t>(M * K));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  const QPackedWeights packed(w.data(), N, K);
  std::vector<int32_t> bias(static_cast<size_t>(N)), sums(static_cast<size_t>(M * N));
  std::vector<float> multiplier(static_cast<size_t>(N));
  for (int64_t n = 0; n < N; ++n) {
    bias[static_cast<size_t>(n)] =
        b32(rng) - a_zero_point * packed.column_sums()[static_cast<size_t>(n)];
    multiplier[static_cast<size_t>(n)] = scale * static_cast<float>(1 + n % 7) / 4.0f;
  }
  q.bias = bias.data();
  q.multiplier = multiplier.data();
  qgemm_reference(a.data(), M, K, 0, w.data(), N, sums.data());
  std::vector<uint8_t> want(sums.size()), got(sums.size());
  for (int64_t m = 0; m < M; ++m)
    for (int64_t n = 0; n < N; ++n)
      want[static_cast<size_t>(m * N + n)] =
          requantize_value(sums[static_cast<size_t>(m * N + n)], bias[static_cast<size_t>(n)],
                           multiplier[static_cast<size_t>(n)], q);
  ThreadPool pool2(2);
  for (Isa isa : family_tiers("qgemm", qgemm_kernels()))
    for (ThreadPool* pool : {static_cast<ThreadPool*>(nullptr), &pool2}) {
      std::fill(got.begin(), got.end(), 7);
      qgemm_requantized(a.data(), M, packed, q, got.data(), pool, qgemm_kernels().at(isa));
      ASSERT_EQ(got, want) << isa_name(isa) << (pool ? " 2 threads" : " serial") << " M" << M
                           << " N" << N << " K" << K << " scale " << scale;
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

TEST(QGemm, RequantizationRoundsHalvesToEven) {
  const QRequant q{nullptr, nullptr, 100, 0, 255};
  EXPECT_EQ(requantize_value(5, 0, 0.5f, q), 102);            // 2.5 -> 2
  EXPECT_EQ(requantize_value(7, 0, 0.5f, q), 104);            // 3.5 -> 4
  EXPECT_EQ(requantize_value(-5, 0, 0.5f, q), 98);            // -2.5 -> -2
  EXPECT_EQ(requantize_value(1 << 30, 1 << 30, 1.0f, q), 0);  // wraps to INT_MIN, clamps to lo
}

}  // namespace
}  // namespace sinter::kernels
