// Integer GEMM throughput (requantized u8 out, one thread, the active tier) on quantized layers'
// shapes: a 3x3 conv at 56x56 (its gathered windows), 14x14 and 7x7 ones, and a batch-1 fully
// connected layer, whose weights stream from memory. Each weight format: s8 or 4-bit, one scale
// a column or per-vector scales over V = 16, 32 or 64 k. Reports multiply-adds x 2 per second
// ("OPS").
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>
#include <vector>

#include "kernels/qgemm/qgemm.h"

namespace {

using sinter::kernels::QPackedWeights;
using sinter::kernels::QRequant;

// args: M, K, N
void BM_QGemm(benchmark::State& state, int bits, int64_t vector_size) {
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

BENCHMARK_CAPTURE(BM_QGemm, int8_per_channel, 8, 0)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int8_vector16, 8, 16)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int8_vector32, 8, 32)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int8_vector64, 8, 64)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int4_per_channel, 4, 0)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int4_vector16, 4, 16)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int4_vector32, 4, 32)->Apply(layer_shapes);
BENCHMARK_CAPTURE(BM_QGemm, int4_vector64, 4, 64)->Apply(layer_shapes);

}  // namespace
