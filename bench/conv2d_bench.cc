// Conv2d throughput on the torchvision CNN layers. Reports FLOP/s ("FLOPS" counter, 2 per MAC).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"

namespace {

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(7);
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

// args: C, M, H (= W), kernel (square, pad kernel/2), stride, threads, algo (0: the planner's
// choice, 1: implicit GEMM forced, 2: Winograd forced, 3: direct forced, 4/5: 1x1 GEMM
// plain/transposed forced, 6: plane forced, 7: DWM forced). FLOPS counts direct-convolution flops
// (2 per MAC) for every algorithm, so Winograd shows as effective throughput.
void BM_Conv2d(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.C = state.range(0);
  s.M = state.range(1);
  s.H = s.W = state.range(2);
  s.KH = s.KW = state.range(3);
  s.stride_h = s.stride_w = state.range(4);
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = s.KH / 2;
  auto x = random_floats(s.C * s.H * s.W), w = random_floats(s.M * s.C * s.KH * s.KW);
  auto bias = random_floats(s.M);
  std::vector<float> y(s.M * s.OH() * s.OW());
  std::optional<sinter::Conv2d::Algorithm> force;
  if (state.range(6) == 1) force = sinter::Conv2d::Algorithm::kImplicitGemm;
  if (state.range(6) == 2) force = sinter::Conv2d::Algorithm::kWinograd;
  if (state.range(6) == 3) force = sinter::Conv2d::Algorithm::kDirect;
  if (state.range(6) == 4) force = sinter::Conv2d::Algorithm::kGemm1x1;
  if (state.range(6) == 5) force = sinter::Conv2d::Algorithm::kGemmTransposed;
  if (state.range(6) == 6) force = sinter::Conv2d::Algorithm::kPlane;
  if (state.range(6) == 7) force = sinter::Conv2d::Algorithm::kDwm;
  sinter::Conv2d conv(s, w.data(), bias.data(), sinter::Activation::relu(), force);
  auto* pool = pool_of(static_cast<int>(state.range(5)));
  for (auto _ : state) {
    conv.run(x.data(), y.data(), nullptr, pool);
    benchmark::DoNotOptimize(y.data());
  }
  state.SetLabel(sinter::Conv2d::algorithm_name(conv.algorithm()));
  const double flops = 2.0 * s.M * s.OH() * s.OW() * s.C * s.KH * s.KW;
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

// Strided DWM (7) against the planner's choice (0): ResNet's 7x7 stem, 7x7, 5x5 and 3x3
// stride-2 windows on the shapes of ResNet-18/50's downsampling layers, and other windows,
// channels and planes around where DWM starts to win; 1 and 2 threads. Run with
// --benchmark_enable_random_interleaving to take turns.
void strided_dwm_args(benchmark::internal::Benchmark* b) {
  for (int64_t threads : {1, 2}) {
    for (int64_t algo : {0, 7}) b->Args({3, 64, 224, 7, 2, threads, algo});
    const int64_t layers[][2] = {{64, 56}, {128, 28}, {256, 14}};  // input channels, plane
    for (int64_t k : {7, 5, 3})
      for (const auto& l : layers)
        for (int64_t algo : {0, 7}) b->Args({l[0], 2 * l[0], l[1], k, 2, threads, algo});
    const int64_t others[][4] = {{128, 256, 28, 6}, {128, 256, 28, 4}, {128, 256, 56, 5},
                                 {256, 256, 28, 5}, {64, 256, 28, 5},  {64, 128, 28, 5},
                                 {32, 64, 112, 5}};  // C, M, plane, window
    for (const auto& o : others)
      for (int64_t algo : {0, 7}) b->Args({o[0], o[1], o[2], o[3], 2, threads, algo});
  }
}

BENCHMARK(BM_Conv2d)
    ->ArgNames({"C", "M", "HW", "k", "s", "threads", "algo"})
    ->Args({64, 64, 56, 3, 1, 1, 0})  // resnet18 layer1
    ->Args({64, 64, 56, 3, 1, 1, 1})
    ->Args({64, 64, 56, 3, 1, 1, 2})
    ->Args({64, 64, 56, 3, 1, 2, 0})
    ->Args({64, 64, 56, 3, 1, 2, 1})
    ->Args({64, 64, 56, 3, 1, 2, 2})
    ->Args({128, 128, 28, 3, 1, 1, 0})  // resnet18 layer2
    ->Args({128, 128, 28, 3, 1, 1, 1})
    ->Args({128, 128, 28, 3, 1, 1, 2})
    ->Args({256, 256, 14, 3, 1, 1, 0})  // resnet18 layer3
    ->Args({256, 256, 14, 3, 1, 1, 1})
    ->Args({256, 256, 14, 3, 1, 1, 2})
    ->Args({512, 512, 14, 3, 1, 1, 0})  // vgg16 conv5
    ->Args({512, 512, 14, 3, 1, 1, 1})
    ->Args({512, 512, 14, 3, 1, 1, 2})
    ->Args({512, 512, 7, 3, 1, 1, 0})  // resnet layer4
    ->Args({512, 512, 7, 3, 1, 1, 1})
    ->Args({512, 512, 7, 3, 1, 1, 2})
    ->Args({512, 512, 7, 3, 1, 1, 5})
    ->Args({64, 128, 56, 3, 2, 1, 1})  // resnet18 layer2.0.conv1 (stride 2)
    ->Args({64, 128, 56, 3, 2, 1, 5})
    ->Args({128, 256, 28, 3, 2, 1, 1})  // resnet18 layer3.0.conv1 (stride 2)
    ->Args({128, 256, 28, 3, 2, 1, 5})
    ->Args({512, 512, 7, 3, 1, 2, 0})
    ->Args({512, 512, 7, 3, 1, 2, 1})
    ->Args({512, 512, 7, 3, 1, 2, 2})
    ->Args({64, 64, 224, 3, 1, 1, 0})  // vgg16 conv1_2
    ->Args({64, 64, 224, 3, 1, 1, 1})
    ->Args({64, 64, 224, 3, 1, 1, 2})
    ->Args({256, 64, 56, 1, 1, 1, 0})    // resnet50 1x1 reduce
    ->Args({64, 256, 56, 1, 1, 1, 0})    // resnet50 1x1 expand
    ->Args({1024, 256, 14, 1, 1, 1, 0})  // resnet50 layer3 1x1
    ->Args({256, 512, 56, 1, 2, 1, 0})   // resnet50 downsample 1x1 stride 2
    ->Args({3, 64, 224, 7, 2, 1, 0})     // resnet stem
    ->Args({3, 64, 224, 7, 2, 1, 1})
    ->Args({3, 64, 224, 3, 1, 1, 0})  // vgg16 conv1_1
    ->Args({3, 64, 224, 3, 1, 1, 1})
    ->Args({64, 128, 56, 3, 2, 1, 0})  // resnet18 layer2 downsample 3x3 stride 2
    ->Args({3, 32, 224, 3, 2, 1, 0})   // mobilenet_v2 / squeezenet stem
    ->Args({3, 32, 224, 3, 2, 1, 1})
    ->Args({3, 32, 224, 3, 2, 2, 0})
    ->Args({3, 64, 224, 3, 2, 1, 0})  // squeezenet1_1 stem (which has no padding)
    ->Args({3, 64, 224, 3, 2, 1, 1})
    ->Args({16, 96, 112, 1, 1, 1, 0})  // mobilenet_v2 expand, few input channels
    ->Args({144, 24, 56, 1, 1, 1, 0})  // mobilenet_v2 project, few output channels
    ->Args({32, 16, 112, 1, 1, 1, 0})  // mobilenet_v2 block 1 project
    ->Args({960, 320, 7, 1, 1, 1, 4})  // mobilenet_v2 last project, small spatial
    ->Args({960, 320, 7, 1, 1, 1, 5})
    ->Args({320, 1280, 7, 1, 1, 1, 4})  // mobilenet_v2 last conv
    ->Args({320, 1280, 7, 1, 1, 1, 5})
    ->Args({64, 256, 13, 3, 1, 1, 1})  // squeezenet1_1 fire 12 expand3x3, other algorithms
    ->Args({64, 256, 13, 3, 1, 1, 5})
    ->Args({512, 1000, 13, 1, 1, 1, 4})  // squeezenet1_1 classifier
    ->Args({512, 1000, 13, 1, 1, 1, 5})
    ->Args({960, 160, 7, 1, 1, 1, 4})
    ->Args({960, 160, 7, 1, 1, 1, 5})
    ->Args({576, 96, 14, 1, 1, 1, 4})
    ->Args({576, 96, 14, 1, 1, 1, 5})
    ->Args({2048, 512, 7, 1, 1, 1, 4})  // resnet50 layer4 reduce
    ->Args({2048, 512, 7, 1, 1, 1, 5})
    ->Args({96, 576, 14, 1, 1, 1, 0})  // mobilenet_v2 expand at 14x14
    ->Args({64, 16, 55, 1, 1, 1, 0})   // squeezenet squeeze
    ->Args({16, 64, 55, 1, 1, 1, 0})   // squeezenet expand 1x1
    // Plane convolution against the planner's choice.
    ->Args({64, 64, 56, 3, 1, 1, 6})
    ->Args({128, 128, 28, 3, 1, 1, 6})
    ->Args({256, 256, 14, 3, 1, 1, 6})
    ->Args({512, 512, 14, 3, 1, 1, 6})
    ->Args({512, 512, 7, 3, 1, 1, 6})
    ->Args({64, 128, 56, 3, 2, 1, 0})
    ->Args({64, 128, 56, 3, 2, 1, 6})
    ->Args({128, 256, 28, 3, 2, 1, 0})
    ->Args({128, 256, 28, 3, 2, 1, 6})
    ->Args({256, 512, 14, 3, 2, 1, 0})
    ->Args({256, 512, 14, 3, 2, 1, 6})
    ->Args({16, 64, 55, 3, 1, 1, 0})  // squeezenet expand 3x3
    ->Args({16, 64, 55, 3, 1, 1, 6})
    ->Args({16, 64, 55, 3, 1, 2, 6})
    ->Args({32, 128, 27, 3, 1, 1, 0})
    ->Args({32, 128, 27, 3, 1, 1, 6})
    ->Args({48, 192, 13, 3, 1, 1, 0})
    ->Args({48, 192, 13, 3, 1, 1, 6})
    ->Args({64, 256, 13, 3, 1, 1, 0})
    ->Args({64, 256, 13, 3, 1, 1, 6})
    ->Args({3, 64, 224, 7, 2, 1, 6})  // resnet stem
    ->Args({3, 32, 224, 3, 2, 1, 6})
    ->Args({3, 32, 224, 3, 2, 2, 6})
    ->Args({3, 64, 224, 7, 2, 2, 0})
    ->Args({3, 64, 224, 7, 2, 2, 6})
    ->Args({64, 64, 224, 3, 1, 1, 6})
    ->Args({64, 64, 56, 3, 1, 2, 6})
    ->Args({64, 128, 56, 3, 2, 2, 0})
    ->Args({64, 128, 56, 3, 2, 2, 6})
    ->Args({48, 192, 13, 3, 1, 2, 0})
    ->Args({48, 192, 13, 3, 1, 2, 6})
    ->Args({64, 256, 13, 3, 1, 2, 2})
    ->Args({64, 256, 13, 3, 1, 2, 6})
    ->Args({256, 256, 14, 3, 1, 2, 2})
    ->Args({256, 256, 14, 3, 1, 2, 6})
    ->Args({128, 128, 28, 3, 1, 2, 2})
    ->Args({128, 128, 28, 3, 1, 2, 6})
    ->Apply(strided_dwm_args)
    ->UseRealTime();

}  // namespace
