// Pooling on the torchvision layer shapes, reporting GB/s (input + output bytes).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/pool/pool2d.h"
#include "kernels/pool/pool2d_backward.h"

namespace sinter::kernels {
namespace {

void fill(std::vector<float>& v) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> d(-1, 1);
  for (auto& e : v) e = d(rng);
}

// Args: channels, input size, kernel, stride, pad, ceil_mode, is_max, threads.
void BM_Pool2d(benchmark::State& state) {
  Pool2dParams p;
  p.channels = state.range(0);
  p.in_h = p.in_w = state.range(1);
  p.kernel_h = p.kernel_w = state.range(2);
  p.stride_h = p.stride_w = state.range(3);
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = state.range(4);
  p.ceil_mode = state.range(5) != 0;
  const bool is_max = state.range(6) != 0;
  const int threads = static_cast<int>(state.range(7));
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  const int64_t in_n = p.planes() * p.in_h * p.in_w, out_n = p.planes() * p.out_h() * p.out_w();
  std::vector<float> x(in_n), y(out_n);
  fill(x);
  for (auto _ : state) {
    (is_max ? max_pool2d : avg_pool2d)(p, x.data(), y.data(), pool.get());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(4.0 * (in_n + out_n) * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Pool2d)
    ->ArgNames({"C", "HW", "k", "s", "pad", "ceil", "max", "thr"})
    ->Args({64, 112, 3, 2, 1, 0, 1, 1})  // resnet maxpool
    ->Args({64, 112, 3, 2, 1, 0, 1, 2})
    ->Args({64, 224, 2, 2, 0, 0, 1, 1})  // vgg pool1
    ->Args({512, 14, 2, 2, 0, 0, 1, 1})  // vgg pool5
    ->Args({64, 111, 3, 2, 0, 1, 1, 1})  // squeezenet
    ->Args({256, 27, 3, 2, 0, 1, 1, 1})
    ->Args({64, 56, 3, 1, 1, 0, 0, 1})  // 3x3 average
    ->UseRealTime();

// Args: channels, plane size, threads.
void BM_GlobalAvgPool(benchmark::State& state) {
  const int64_t planes = state.range(0), size = state.range(1);
  const int threads = static_cast<int>(state.range(2));
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  std::vector<float> x(planes * size), y(planes);
  fill(x);
  for (auto _ : state) {
    global_avg_pool(x.data(), y.data(), planes, size, pool.get());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(4.0 * planes * size * state.iterations() / 1e9,
                                              benchmark::Counter::kIsRate);
}
BENCHMARK(BM_GlobalAvgPool)
    ->ArgNames({"C", "HW", "thr"})
    ->Args({512, 49, 1})    // resnet18
    ->Args({2048, 49, 1})   // resnet50
    ->Args({1280, 49, 1})   // mobilenet_v2
    ->Args({1000, 169, 1})  // squeezenet
    ->UseRealTime();

// Training's pooling gradients at batch 64. Args: channels, input size, kernel, stride, pad,
// is_max, threads, reference (1: the plain-loop twin).
void BM_Pool2dBackward(benchmark::State& state) {
  Pool2dParams p;
  p.batch = 64;
  p.channels = state.range(0);
  p.in_h = p.in_w = state.range(1);
  p.kernel_h = p.kernel_w = state.range(2);
  p.stride_h = p.stride_w = state.range(3);
  p.pad_top = p.pad_left = p.pad_bottom = p.pad_right = state.range(4);
  const bool is_max = state.range(5) != 0;
  const int threads = static_cast<int>(state.range(6));
  const bool reference = state.range(7) != 0;
  std::unique_ptr<ThreadPool> pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
  const int64_t in_n = p.planes() * p.in_h * p.in_w, out_n = p.planes() * p.out_h() * p.out_w();
  std::vector<float> x(in_n), dy(out_n), dx(in_n);
  fill(x);
  fill(dy);
  for (auto _ : state) {
    if (is_max) {
      reference ? max_pool2d_backward_reference(p, x.data(), dy.data(), dx.data())
                : max_pool2d_backward(p, x.data(), dy.data(), dx.data(), pool.get());
    } else {
      reference ? avg_pool2d_backward_reference(p, dy.data(), dx.data())
                : avg_pool2d_backward(p, dy.data(), dx.data(), pool.get());
    }
    benchmark::ClobberMemory();
  }
  const double bytes = 4.0 * ((is_max ? 2 : 1) * in_n + out_n);
  state.counters["GB/s"] =
      benchmark::Counter(bytes * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Pool2dBackward)
    ->ArgNames({"C", "HW", "k", "s", "pad", "max", "thr", "ref"})
    ->Args({32, 28, 2, 2, 0, 1, 1, 1})  // vgg-small's first pool
    ->Args({32, 28, 2, 2, 0, 1, 1, 0})
    ->Args({32, 28, 2, 2, 0, 1, 2, 0})
    ->Args({32, 28, 2, 2, 0, 0, 1, 1})
    ->Args({32, 28, 2, 2, 0, 0, 1, 0})
    ->Args({64, 28, 3, 2, 1, 1, 1, 1})  // overlapping, padded
    ->Args({64, 28, 3, 2, 1, 1, 1, 0})
    ->UseRealTime();

}  // namespace
}  // namespace sinter::kernels
