// Element-wise kernels and softmax, reporting GB/s (bytes read + written).
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/eltwise/binary.h"
#include "kernels/eltwise/relu_backward.h"
#include "kernels/eltwise/unary.h"
#include "kernels/softmax/softmax.h"

namespace sinter::kernels {
namespace {

std::vector<float> random(int64_t n) {
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> d(-4, 4);
  std::vector<float> v(n);
  for (auto& e : v) e = d(rng);
  return v;
}

std::unique_ptr<ThreadPool> make_pool(int64_t threads) {
  return threads > 1 ? std::make_unique<ThreadPool>(static_cast<int>(threads)) : nullptr;
}

// Args: op, elements, threads.
void BM_Unary(benchmark::State& state) {
  const auto op = static_cast<UnaryOp>(state.range(0));
  const int64_t n = state.range(1);
  auto pool = make_pool(state.range(2));
  std::vector<float> x = random(n), y(n);
  for (auto _ : state) {
    unary(op, x.data(), y.data(), n, 0.0f, 6.0f, pool.get());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(8.0 * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
void UnaryArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"op", "n", "thr"});
  for (UnaryOp op : {UnaryOp::kRelu, UnaryOp::kClip, UnaryOp::kSigmoid, UnaryOp::kTanh,
                     UnaryOp::kHardSwish, UnaryOp::kErf, UnaryOp::kExp}) {
    b->Args({static_cast<int64_t>(op), 32 * 112 * 112, 1});
  }
  b->Args({static_cast<int64_t>(UnaryOp::kRelu), 64 * 112 * 112, 2});
  b->Args({static_cast<int64_t>(UnaryOp::kSigmoid), 64 * 112 * 112, 2});
}
BENCHMARK(BM_Unary)->Apply(UnaryArgs)->UseRealTime();

// Args: op, pattern (0 same shape, 1 per channel, 2 scalar), channels, size, threads.
void BM_Binary(benchmark::State& state) {
  const auto op = static_cast<BinaryOp>(state.range(0));
  const int64_t pattern = state.range(1), c = state.range(2), hw = state.range(3);
  auto pool = make_pool(state.range(4));
  const Shape a_shape = {1, c, hw, hw};
  const Shape b_shape = pattern == 0 ? a_shape : pattern == 1 ? Shape{1, c, 1, 1} : Shape{};
  std::vector<float> a = random(shape_numel(a_shape)), b = random(shape_numel(b_shape));
  std::vector<float> y(a.size());
  for (auto _ : state) {
    binary(op, a.data(), a_shape, b.data(), b_shape, y.data(), pool.get());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] = benchmark::Counter(
      4.0 * (2 * a.size() + b.size()) * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Binary)
    ->ArgNames({"op", "pat", "C", "HW", "thr"})
    ->Args({0, 0, 256, 56, 1})  // resnet residual add
    ->Args({0, 0, 256, 56, 2})
    ->Args({2, 1, 64, 112, 1})  // per-channel scale
    ->Args({0, 2, 64, 112, 1})  // scalar
    ->UseRealTime();

// Args: elements, threads, reference (1: the plain-loop twin).
void BM_ReluBackward(benchmark::State& state) {
  const int64_t n = state.range(0);
  auto pool = make_pool(state.range(1));
  std::vector<float> dy = random(n), y = random(n), dx(n);
  for (auto _ : state) {
    if (state.range(2)) {
      relu_backward_reference(dy.data(), y.data(), dx.data(), n);
    } else {
      relu_backward(dy.data(), y.data(), dx.data(), n, pool.get());
    }
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(12.0 * n * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ReluBackward)
    ->ArgNames({"n", "thr", "ref"})
    ->Args({64 * 6 * 28 * 28, 1, 1})  // lenet5's first Relu, batch 64
    ->Args({64 * 6 * 28 * 28, 1, 0})
    ->Args({64 * 32 * 28 * 28, 1, 1})  // vgg-small's first block
    ->Args({64 * 32 * 28 * 28, 1, 0})
    ->Args({64 * 32 * 28 * 28, 2, 0})
    ->UseRealTime();

// Args: rows, cols, threads.
void BM_Softmax(benchmark::State& state) {
  const int64_t rows = state.range(0), cols = state.range(1);
  auto pool = make_pool(state.range(2));
  std::vector<float> x = random(rows * cols), y(x.size());
  for (auto _ : state) {
    softmax(x.data(), y.data(), rows, cols, pool.get());
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(8.0 * x.size() * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Softmax)
    ->ArgNames({"rows", "cols", "thr"})
    ->Args({1, 1000, 1})
    ->Args({64, 1000, 1})
    ->UseRealTime();

}  // namespace
}  // namespace sinter::kernels
