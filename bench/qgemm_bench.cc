// Integer GEMM throughput, one thread. Per tile variant (portable, AVX2 with vpmaddubsw or
// AVX-VNNI, AVX-512-VNNI): u8 x s8 -> s32 on 3x3 convolutions of ResNet-50 as im2col GEMMs (M
// pixels, K = 9 x input channels, N output channels). Per weight format at the active tier (s8 or
// 4-bit, one scale a column or per-vector scales over V = 16, 32 or 64 k), requantized u8 out, on
// those shapes and a batch-1 fully connected layer whose weights stream from memory. Reports
// integer operations per second ("OPS" counter, 2 M N K a run).
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "core/isa.h"
#include "kernels/qgemm/qgemm.h"

namespace {

using sinter::Isa;
using sinter::kernels::QGemmKernels;

enum class Variant { kPortable, kAvx2Maddubs, kAvx2Vnni, kAvx512Vnni };

// The variant's table, or null where this CPU lacks it.
const QGemmKernels* kernels_of(Variant v) {
  namespace detail = sinter::kernels::detail;
  const Isa cpu = sinter::supported_isa();
  switch (v) {
    case Variant::kPortable:
      return &detail::qgemm_kernels_portable();
    case Variant::kAvx2Maddubs:
      return cpu >= Isa::kAvx2 ? &detail::qgemm_kernels_avx2_maddubs() : nullptr;
    case Variant::kAvx2Vnni:
      return cpu >= Isa::kAvx2 && sinter::has_vnni(Isa::kAvx2) ? &detail::qgemm_kernels_avx2_vnni()
                                                               : nullptr;
    case Variant::kAvx512Vnni:
      return cpu >= Isa::kAvx512 && sinter::has_vnni(Isa::kAvx512) ? &detail::qgemm_kernels_avx512()
                                                                   : nullptr;
  }
  return nullptr;
}

// args: M, K, N, the largest |w| (64: vpmaddubsw's direct path; 128: its exact split path).
void BM_QGemm(benchmark::State& state, Variant variant) {
  const QGemmKernels* kernels = kernels_of(variant);
  if (!kernels) {
    state.SkipWithError("not on this CPU");
    return;
  }
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  const int max_abs_weight = static_cast<int>(state.range(3));
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u8(0, 255), s8(-max_abs_weight, max_abs_weight - 1);
  std::vector<uint8_t> a(static_cast<size_t>(M * K));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  const sinter::kernels::QPackedWeights packed(w.data(), N, K);
  std::vector<int32_t> c(static_cast<size_t>(M * N));
  for (auto _ : state) {
    sinter::kernels::qgemm(a.data(), M, 128, packed, c.data(), nullptr, *kernels);
    benchmark::DoNotOptimize(c.data());
  }
  state.counters["OPS"] = benchmark::Counter(
      2.0 * M * N * K * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void resnet50_shapes(benchmark::internal::Benchmark* b, int max_abs_weight) {
  b->ArgNames({"M", "K", "N", "max_w"})
      ->Args({3136, 576, 64, max_abs_weight})   // conv2_x, 56x56
      ->Args({196, 2304, 256, max_abs_weight})  // conv4_x, 14x14
      ->Args({49, 4608, 512, max_abs_weight})   // conv5_x, 7x7
      ->UseRealTime();
}

BENCHMARK_CAPTURE(BM_QGemm, portable, Variant::kPortable)->Apply([](auto* b) {
  resnet50_shapes(b, 128);
});
BENCHMARK_CAPTURE(BM_QGemm, avx2_maddubs, Variant::kAvx2Maddubs)->Apply([](auto* b) {
  resnet50_shapes(b, 64);
  resnet50_shapes(b, 128);
});
BENCHMARK_CAPTURE(BM_QGemm, avx2_vnni, Variant::kAvx2Vnni)->Apply([](auto* b) {
  resnet50_shapes(b, 128);
});
BENCHMARK_CAPTURE(BM_QGemm, avx512_vnni, Variant::kAvx512Vnni)->Apply([](auto* b) {
  resnet50_shapes(b, 128);
});

using sinter::kernels::QPackedWeights;
using sinter::kernels::QRequant;

// args: M, K, N
void BM_QGemmFormat(benchmark::State& state, int bits, int64_t vector_size) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u8(0, 255), w8(-128, 127), w4(-8, 7);
  std::uniform_real_distribution<float> octave(-10, -6);
  std::vector<uint8_t> a(static_cast<size_t>(M * K)), y(static_cast<size_t>(M * N));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(bits == 4 ? w4(rng) : w8(rng));
  std::vector<float> scales;
  if (vector_size)
    for (int64_t i = 0; i < N * (K / vector_size); ++i) scales.push_back(std::exp2(octave(rng)));
  const QPackedWeights packed(w.data(), N, K, bits, vector_size, scales.data());
  w = {};
  const std::vector<int32_t> bias(static_cast<size_t>(N), 0);
  const std::vector<float> scaled_bias(static_cast<size_t>(N), 0.0f);
  const std::vector<float> multiplier(static_cast<size_t>(N), 1e-4f);
  QRequant q{bias.data(), multiplier.data(), 128, 0, 255};
  q.scaled_bias = scaled_bias.data();
  for (auto _ : state) {
    sinter::kernels::qgemm_requantized(a.data(), M, packed, q, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["OPS"] = benchmark::Counter(
      2.0 * M * N * K * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void layer_shapes(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "K", "N"})
      ->Args({3136, 576, 64})
      ->Args({196, 2304, 256})
      ->Args({49, 4608, 512})
      ->Args({1, 4096, 4096})
      ->UseRealTime();
}

BENCHMARK_CAPTURE(BM_QGemmFormat, int8_per_channel, 8, 0)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int8_vector16, 8, 16)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int8_vector32, 8, 32)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int8_vector64, 8, 64)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int4_per_channel, 4, 0)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int4_vector16, 4, 16)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int4_vector32, 4, 32)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemmFormat, int4_vector64, 4, 64)->Apply(layer_shapes);

}  // namespace
