// Convolution gradients on the training zoo's layers (batch 64, 28x28 inputs), beside the
// forward Conv2d of the same layer as the yardstick. Reports FLOP/s ("FLOPS" counter): every
// pass counts the forward convolution's flops (2 per MAC).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_backward.h"

namespace {

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

sinter::ThreadPool* pool_of(int threads) {
  static std::map<int, std::unique_ptr<sinter::ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<sinter::ThreadPool>(threads);
  return p.get();
}

enum Pass { kForward, kData, kWeight, kDataGemmCol2im, kWeightChannelsLastGemm, kDataTapRowsConv };

// args: N, C, M, H (= W), kernel (square), stride, pad, threads, pass (0 forward, 1 dX as planned,
// 2 dW, 3 dX forced to GEMM + col2im, 4 dW forced to the channels-last GEMM, 5 dX forced to the
// tap-rows conv).
void BM_Conv2dTrainingPass(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.N = state.range(0);
  s.C = state.range(1);
  s.M = state.range(2);
  s.H = s.W = state.range(3);
  s.KH = s.KW = state.range(4);
  s.stride_h = s.stride_w = state.range(5);
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = state.range(6);
  auto* pool = pool_of(static_cast<int>(state.range(7)));
  const auto pass = static_cast<Pass>(state.range(8));
  auto x = random_floats(s.N * s.C * s.H * s.W), w = random_floats(s.M * s.C * s.KH * s.KW);
  auto dy = random_floats(s.N * s.M * s.OH() * s.OW());
  std::vector<float> out(std::max(x.size(), std::max(w.size(), dy.size())));
  using DataAlgorithm = sinter::Conv2dBackwardData::Algorithm;
  const sinter::Conv2dBackwardData data(
      s, pass == kDataGemmCol2im    ? std::optional(DataAlgorithm::kGemmCol2im)
         : pass == kDataTapRowsConv ? std::optional(DataAlgorithm::kTapRowsConv)
                                    : std::nullopt);
  const sinter::Conv2dBackwardWeight weight(
      s, pass == kWeightChannelsLastGemm
             ? std::optional(sinter::Conv2dBackwardWeight::Algorithm::kChannelsLastGemm)
             : std::nullopt);
  for (auto _ : state) {
    switch (pass) {
      case kForward:  // weights packed per run, as the training graph's convs do
        sinter::Conv2d(s, w.data(), nullptr, sinter::Activation{})
            .run(x.data(), out.data(), nullptr, pool);
        break;
      case kData:
      case kDataGemmCol2im:
      case kDataTapRowsConv:
        data.run(dy.data(), w.data(), out.data(), pool);
        break;
      case kWeight:
      case kWeightChannelsLastGemm:
        weight.run(x.data(), dy.data(), out.data(), pool);
        break;
    }
    benchmark::DoNotOptimize(out.data());
  }
  const double flops = 2.0 * s.N * s.M * s.OH() * s.OW() * s.C * s.KH * s.KW;
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

void training_layers(benchmark::internal::Benchmark* b, int threads) {
  b->ArgNames({"N", "C", "M", "HW", "k", "s", "pad", "threads", "pass"});
  // N, C, M, HW, k, stride, pad: vgg-small conv1..conv4, lenet5 conv1 and conv2, then resnet20's
  // 3x3 layers per stage and its stride-2 3x3 and 1x1 convs.
  const std::vector<std::vector<int64_t>> layers = {
      {64, 1, 32, 28, 3, 1, 1},  {64, 32, 32, 28, 3, 1, 1}, {64, 32, 64, 14, 3, 1, 1},
      {64, 64, 64, 14, 3, 1, 1}, {64, 1, 6, 28, 5, 1, 2},   {64, 6, 16, 14, 5, 1, 0},
      {64, 16, 16, 28, 3, 1, 1}, {64, 32, 32, 14, 3, 1, 1}, {64, 64, 64, 7, 3, 1, 1},
      {64, 16, 32, 28, 3, 2, 1}, {64, 16, 32, 28, 1, 2, 0},
  };
  for (const auto& l : layers)
    for (int pass :
         {kForward, kData, kDataGemmCol2im, kDataTapRowsConv, kWeight, kWeightChannelsLastGemm}) {
      const bool data = pass == kData || pass == kDataGemmCol2im || pass == kDataTapRowsConv;
      if (data && l[1] == 1) continue;                      // a first layer has no dX
      if (pass == kDataTapRowsConv && l[5] != 1) continue;  // stride 1 only
      std::vector<int64_t> args = l;
      args.push_back(threads);
      args.push_back(pass);
      b->Args(args);
    }
}
// One thread: rates from the thread's CPU time, steadier than wall time on a shared machine.
BENCHMARK(BM_Conv2dTrainingPass)->Apply([](auto* b) { training_layers(b, 1); });
BENCHMARK(BM_Conv2dTrainingPass)->Apply([](auto* b) { training_layers(b, 2); }) -> UseRealTime();

}  // namespace
