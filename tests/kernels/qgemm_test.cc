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

}  // namespace
}  // namespace sinter::kernels
