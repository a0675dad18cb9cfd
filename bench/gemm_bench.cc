// GEMM throughput on the shapes the CNN zoo produces. Reports FLOP/s ("FLOPS" counter).
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/gemm/sgemm.h"

namespace {

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(42);
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

void set_flops(benchmark::State& state, double flops_per_iter) {
  state.counters["FLOPS"] = benchmark::Counter(
      flops_per_iter * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

// args: M, N, K, threads
void BM_Sgemm(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  auto A = random_floats(M * K), B = random_floats(K * N);
  std::vector<float> C(M * N);
  sinter::GemmEpilogue epi;
  auto* pool = pool_of(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    sinter::sgemm(false, false, M, N, K, 1.0f, A.data(), K, B.data(), N, 0.0f, C.data(), N, epi,
                  pool);
    benchmark::DoNotOptimize(C.data());
  }
  set_flops(state, 2.0 * M * N * K);
}
BENCHMARK(BM_Sgemm)
    ->ArgNames({"M", "N", "K", "threads"})
    ->Args({256, 256, 256, 1})
    ->Args({512, 512, 512, 1})
    ->Args({1024, 1024, 1024, 1})
    ->Args({1024, 1024, 1024, 2})
    ->Args({64, 3136, 576, 1})
    ->UseRealTime();

// Weights prepacked as A (the convolution layout): M = out channels, N = pixels.
void BM_SgemmPackedA(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  auto A = random_floats(M * K), B = random_floats(K * N);
  std::vector<float> C(M * N);
  sinter::PackedMatrixA pa(false, M, K, A.data(), K);
  sinter::GemmEpilogue epi;
  epi.activation = sinter::Activation::relu();
  auto* pool = pool_of(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    sinter::sgemm_packed(pa, N, B.data(), N, false, C.data(), N, epi, pool);
    benchmark::DoNotOptimize(C.data());
  }
  set_flops(state, 2.0 * M * N * K);
}
BENCHMARK(BM_SgemmPackedA)
    ->ArgNames({"M", "N", "K", "threads"})
    ->Args({64, 3136, 256, 1})   // resnet50 1x1 256->64 at 56x56
    ->Args({256, 3136, 64, 1})   // resnet50 1x1 64->256 at 56x56
    ->Args({512, 196, 2048, 1})  // resnet50 1x1 2048->512 at 7x7 (as 14x14 batch)
    ->Args({256, 3136, 64, 2})
    ->UseRealTime();

// A fully-connected layer at batch M: weight [N, K] prepacked as B (transposed).
void BM_FullyConnected(benchmark::State& state) {
  const int64_t M = state.range(0), N = state.range(1), K = state.range(2);
  auto X = random_floats(M * K), W = random_floats(N * K), bias = random_floats(N);
  std::vector<float> Y(M * N);
  sinter::PackedMatrixB pb(true, K, N, W.data(), K);
  W = {};
  sinter::GemmEpilogue epi;
  epi.bias_per_col = bias.data();
  auto* pool = pool_of(static_cast<int>(state.range(3)));
  for (auto _ : state) {
    sinter::sgemm_packed_b(false, M, X.data(), K, pb, Y.data(), N, epi, pool);
    benchmark::DoNotOptimize(Y.data());
  }
  set_flops(state, 2.0 * M * N * K);
  state.counters["bytes/s"] = benchmark::Counter(
      4.0 * N * K * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_FullyConnected)
    ->ArgNames({"M", "N", "K", "threads"})
    ->Args({1, 4096, 25088, 1})  // vgg16 fc6
    ->Args({1, 4096, 25088, 2})
    ->Args({1, 4096, 4096, 1})   // vgg16 fc7
    ->Args({1, 1000, 2048, 1})   // resnet50 fc
    ->Args({64, 1000, 2048, 1})  // resnet50 fc at batch 64
    ->UseRealTime();

}  // namespace
