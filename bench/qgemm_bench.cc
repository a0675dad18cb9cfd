// Integer GEMM throughput (requantized u8 out, one thread, the active tier) on quantized layers'
// shapes: a 3x3 conv at 56x56 (its gathered windows), 14x14 and 7x7 ones, and a batch-1 fully
// connected layer, whose weights stream from memory. Reports multiply-adds x 2 per second ("OPS").
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/qgemm/qgemm.h"

namespace {

using sinter::kernels::QPackedWeights;
using sinter::kernels::QRequant;

// args: M, K, N
void BM_QGemmPerChannelInt8(benchmark::State& state) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  std::vector<uint8_t> a(static_cast<size_t>(M * K)), y(static_cast<size_t>(M * N));
  std::vector<int8_t> w(static_cast<size_t>(N * K));
  for (auto& v : a) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  const QPackedWeights packed(w.data(), N, K);
  const std::vector<int32_t> bias(static_cast<size_t>(N), 0);
  const std::vector<float> multiplier(static_cast<size_t>(N), 1e-4f);
  const QRequant q{bias.data(), multiplier.data(), 128, 0, 255};
  for (auto _ : state) {
    sinter::kernels::qgemm_requantized(a.data(), M, packed, q, y.data());
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["OPS"] = benchmark::Counter(
      2.0 * M * N * K * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QGemmPerChannelInt8)
    ->ArgNames({"M", "K", "N"})
    ->Args({3136, 576, 64})
    ->Args({196, 2304, 256})
    ->Args({49, 4608, 512})
    ->Args({1, 4096, 4096})
    ->UseRealTime();

}  // namespace
