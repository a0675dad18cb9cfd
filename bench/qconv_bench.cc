// Integer convolution throughput (u8 channels-last in and out, one thread). 3x3 convs at 56x56,
// 14x14 and 7x7 at the active tier, whose gathered windows are the integer GEMM's rows; and per
// tier (portable, avx2, avx512; skipped where the CPU lacks it) the row kernels on mobilenet_v2's
// layers: depthwise 3x3 and the 3 -> 32 image stem (direct). Reports multiply-adds x 2 per second
// ("OPS").
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/qconv/qconv2d.h"

namespace {

using sinter::Isa;

// Runs the layer at tier `isa` on random bytes and weights.
void run_layer(benchmark::State& state, const sinter::Conv2dShape& s, Isa isa) {
  if (isa > sinter::supported_isa()) {
    state.SkipWithError("not on this CPU");
    return;
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  const int64_t taps = s.C / s.group * s.KH * s.KW;
  std::vector<uint8_t> x(static_cast<size_t>(s.H * s.W * s.C)),
      y(static_cast<size_t>(s.OH() * s.OW() * s.M));
  std::vector<int8_t> w(static_cast<size_t>(s.M * taps));
  for (auto& v : x) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  sinter::kernels::QConvQuant q;
  q.x_scale = 0.02f;
  q.x_zero_point = 128;
  q.y_scale = 0.5f;
  q.y_zero_point = 128;
  q.w_scales.assign(static_cast<size_t>(s.M), 0.01f);
  const sinter::kernels::QConv2d conv(s, w.data(), nullptr, q, isa);
  for (auto _ : state) {
    conv.run(x.data(), y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["OPS"] = benchmark::Counter(
      2.0 * static_cast<double>(s.OH() * s.OW() * s.M * taps * state.iterations()),
      benchmark::Counter::kIsRate);
}

sinter::Conv2dShape conv3x3(int64_t hw, int64_t c, int64_t m, int64_t stride, int64_t group) {
  sinter::Conv2dShape s;
  s.H = s.W = hw;
  s.C = c;
  s.M = m;
  s.KH = s.KW = 3;
  s.stride_h = s.stride_w = stride;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  s.group = group;
  return s;
}

// args: H (= W), C (= M), for a 3x3 conv with padding 1.
void BM_QConv2d3x3(benchmark::State& state) {
  const int64_t hw = state.range(0), c = state.range(1);
  run_layer(state, conv3x3(hw, c, c, 1, 1), sinter::active_isa());
}
BENCHMARK(BM_QConv2d3x3)
    ->ArgNames({"HW", "C"})
    ->Args({56, 64})
    ->Args({14, 256})
    ->Args({7, 512})
    ->UseRealTime();

// args: H (= W), C, stride, tier (0 portable, 1 avx2, 2 avx512), for a depthwise 3x3, padding 1.
void BM_QDepthwise3x3(benchmark::State& state) {
  const int64_t hw = state.range(0), c = state.range(1);
  run_layer(state, conv3x3(hw, c, c, state.range(2), c), static_cast<Isa>(state.range(3)));
}
BENCHMARK(BM_QDepthwise3x3)
    ->ArgNames({"HW", "C", "s", "isa"})
    ->ArgsProduct({{112}, {96}, {2}, {0, 1, 2}})
    ->ArgsProduct({{56}, {144}, {1, 2}, {0, 1, 2}})
    ->UseRealTime();

// args: tier; mobilenet_v2's stem, 224x224x3 -> 32, 3x3 stride 2.
void BM_QStem3x3(benchmark::State& state) {
  run_layer(state, conv3x3(224, 3, 32, 2, 1), static_cast<Isa>(state.range(0)));
}
BENCHMARK(BM_QStem3x3)->ArgNames({"isa"})->DenseRange(0, 2)->UseRealTime();

}  // namespace
