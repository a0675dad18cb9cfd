// Depthwise convolution on the mobilenet_v2 layer shapes (3x3, pad 1, bias + ReLU6), reporting
// GFLOP/s (2 flops per multiply-add) and GB/s (input + output bytes).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/depthwise/depthwise_conv2d.h"

namespace sinter::kernels {
namespace {

// Args: channels, input size, stride, threads, reference (0/1).
void BM_DepthwiseConv2d(benchmark::State& state) {
  DepthwiseConv2dParams p;
  p.channels = state.range(0);
  p.in_h = p.in_w = state.range(1);
  p.stride_h = p.stride_w = state.range(2);
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = 1;
  p.activation = Activation::clip(0.0f, 6.0f);
  const int threads = static_cast<int>(state.range(3));
  const bool reference = state.range(4) != 0;
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  const int64_t out_n = p.channels * p.out_h() * p.out_w();
  const int64_t in_n = p.channels * p.in_h * p.in_w;
  std::vector<float> x(in_n), w(p.channels * 9), b(p.channels), y(out_n);
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto* v : {&x, &w, &b})
    for (auto& e : *v) e = d(rng);
  for (auto _ : state) {
    if (reference) {
      depthwise_conv2d_reference(p, x.data(), w.data(), b.data(), nullptr, y.data());
    } else {
      depthwise_conv2d(p, x.data(), w.data(), b.data(), nullptr, y.data(), pool.get());
    }
    benchmark::ClobberMemory();
  }
  const double iters = static_cast<double>(state.iterations());
  state.counters["GFLOP/s"] =
      benchmark::Counter(2.0 * 9 * out_n * iters / 1e9, benchmark::Counter::kIsRate);
  state.counters["GB/s"] =
      benchmark::Counter(4.0 * (in_n + out_n) * iters / 1e9, benchmark::Counter::kIsRate);
}

void MobilenetV2Shapes(benchmark::internal::Benchmark* b) {
  const int64_t shapes[][3] = {{32, 112, 1}, {96, 112, 2}, {144, 56, 1}, {144, 56, 2}, {192, 28, 1},
                               {192, 28, 2}, {384, 14, 1}, {576, 14, 1}, {576, 14, 2}, {960, 7, 1}};
  for (auto& s : shapes) {
    for (int threads : {1, 2}) b->Args({s[0], s[1], s[2], threads, 0});
  }
  b->Args({16, 56, 1, 1, 0});   // L2-resident: the kernel without memory traffic
  b->Args({32, 112, 1, 1, 1});  // the reference, for scale
  b->Args({960, 7, 1, 1, 1});
  b->ArgNames({"C", "HW", "s", "thr", "ref"});
}

BENCHMARK(BM_DepthwiseConv2d)->Apply(MobilenetV2Shapes)->UseRealTime();

}  // namespace
}  // namespace sinter::kernels
