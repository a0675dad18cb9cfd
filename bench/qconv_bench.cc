// Integer convolution throughput (u8 channels-last in and out, one thread, the active tier):
// 3x3 convs at 56x56, 14x14 and 7x7, whose gathered windows are the integer GEMM's rows.
// Reports multiply-adds x 2 per second ("OPS").
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "kernels/qconv/qconv2d.h"

namespace {

// args: H (= W), C (= M), for a 3x3 conv with padding 1.
void BM_QConv2d3x3(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.H = s.W = state.range(0);
  s.C = s.M = state.range(1);
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> u8(0, 255), s8(-128, 127);
  std::vector<uint8_t> x(static_cast<size_t>(s.H * s.W * s.C)),
      y(static_cast<size_t>(s.H * s.W * s.M));
  std::vector<int8_t> w(static_cast<size_t>(s.M * s.C * 9));
  for (auto& v : x) v = static_cast<uint8_t>(u8(rng));
  for (auto& v : w) v = static_cast<int8_t>(s8(rng));
  sinter::kernels::QConvQuant q;
  q.x_scale = 0.02f;
  q.x_zero_point = 128;
  q.y_scale = 0.5f;
  q.y_zero_point = 128;
  q.w_scales.assign(static_cast<size_t>(s.M), 0.01f);
  const sinter::kernels::QConv2d conv(s, w.data(), nullptr, q);
  for (auto _ : state) {
    conv.run(x.data(), y.data(), nullptr);
    benchmark::DoNotOptimize(y.data());
  }
  state.counters["OPS"] =
      benchmark::Counter(2.0 * s.H * s.W * s.M * s.C * 9 * static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate);
}
BENCHMARK(BM_QConv2d3x3)
    ->ArgNames({"HW", "C"})
    ->Args({56, 64})
    ->Args({14, 256})
    ->Args({7, 512})
    ->UseRealTime();

}  // namespace
