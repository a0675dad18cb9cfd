// The quantized element-wise kernels per tier (portable, avx2, avx512; skipped where the CPU
// lacks it), one thread: mobilenet_v2's residual Add at 56x56x24 and a channel Concat of two
// requantized 56x56x64 inputs. Reports GB/s (bytes read + written).
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/qeltwise/qadd.h"
#include "kernels/qeltwise/qconcat.h"

namespace sinter::kernels {
namespace {

std::vector<uint8_t> random_bytes(int64_t n) {
  std::mt19937 rng(0);
  std::uniform_int_distribution<int> u8(0, 255);
  std::vector<uint8_t> v(static_cast<size_t>(n));
  for (auto& b : v) b = static_cast<uint8_t>(u8(rng));
  return v;
}

// Whether this CPU runs tier `isa`; the benchmark is skipped where it does not.
bool runs(benchmark::State& state, Isa isa) {
  if (isa <= supported_isa()) return true;
  state.SkipWithError("not on this CPU");
  return false;
}

// args: elements, tier (0 portable, 1 avx2, 2 avx512).
void BM_QAdd(benchmark::State& state) {
  const int64_t n = state.range(0);
  const auto isa = static_cast<Isa>(state.range(1));
  if (!runs(state, isa)) return;
  const auto a = random_bytes(n), b = random_bytes(n);
  std::vector<uint8_t> y(a.size());
  const QAddQuant q{0.02f, 128, 0.03f, 100, 0.04f, 90, 0, 255};
  for (auto _ : state) {
    qadd(a.data(), b.data(), n, q, y.data(), nullptr, qadd_kernels().at(isa));
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] = benchmark::Counter(
      3.0 * static_cast<double>(n * state.iterations()) / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QAdd)->ArgNames({"n", "isa"})->ArgsProduct({{56 * 56 * 24}, {0, 1, 2}})->UseRealTime();

// args: pixels, tier; two inputs of 64 channels, each requantized.
void BM_QConcat(benchmark::State& state) {
  const int64_t pixels = state.range(0);
  const auto isa = static_cast<Isa>(state.range(1));
  if (!runs(state, isa)) return;
  const auto a = random_bytes(pixels * 64), b = random_bytes(pixels * 64);
  std::vector<uint8_t> y(static_cast<size_t>(pixels * 128));
  const ByteRequant ra{0.7f, 120, 30}, rb{1.3f, 128, 30};
  const std::vector<QConcatInput> inputs = {{a.data(), 64, &ra}, {b.data(), 64, &rb}};
  for (auto _ : state) {
    qconcat_channels(inputs, pixels, y.data(), nullptr, qconcat_kernels().at(isa));
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["GB/s"] =
      benchmark::Counter(2.0 * static_cast<double>(pixels * 128 * state.iterations()) / 1e9,
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QConcat)
    ->ArgNames({"pixels", "isa"})
    ->ArgsProduct({{56 * 56}, {0, 1, 2}})
    ->UseRealTime();

}  // namespace
}  // namespace sinter::kernels
