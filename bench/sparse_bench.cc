// The sparse kernels of pruned models against the dense kernels they replace, on vgg-small's
// layers, over weight densities: where the thresholds of kernels/sparse/sparse_kernel_choice come
// from. FLOPS counts the dense layer's flops (2 per MAC) for every kernel: effective throughput.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"
#include "kernels/gemm/sgemm.h"
#include "kernels/qconv/qconv2d.h"
#include "kernels/sparse/bsr_conv2d.h"
#include "kernels/sparse/bsr_gemm.h"
#include "kernels/sparse/csr_conv2d.h"
#include "kernels/sparse/csr_gemm.h"
#include "kernels/sparse/pattern_conv2d.h"
#include "kernels/sparse/qpattern_conv2d.h"

namespace {

std::vector<float> random_floats(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> d(-1.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// Unstructured: each weight kept with probability `density`. Pattern: each 3x3 kernel kept with
// probability `density`, on one of 8 patterns of 4 taps (as `sinter prune --patterns 8` makes).
std::vector<float> pruned_weights(int64_t n, double density, bool pattern) {
  std::mt19937 rng(3);
  std::bernoulli_distribution keep(density);
  std::vector<float> w = random_floats(n, 5);
  if (!pattern) {
    for (auto& x : w)
      if (!keep(rng)) x = 0.0f;
    return w;
  }
  // Bits 3 * row + col of the kept taps: the center and three of its neighbours.
  const uint16_t patterns[8] = {0x1B, 0x3A, 0xB8, 0x158, 0x5A, 0xB2, 0x9A, 0x1B0};
  for (int64_t k = 0; k < n / 9; ++k) {
    const bool kept = keep(rng);
    const uint16_t p = patterns[rng() % 8];
    for (int t = 0; t < 9; ++t)
      if (!kept || !(p & (1u << t))) w[k * 9 + t] = 0.0f;
  }
  return w;
}

// Weights [M, taps] pruned in blocks of BsrWeights::kFilters filters at one tap, each block kept
// with probability `density`.
std::vector<float> block_pruned_weights(int64_t M, int64_t taps, double density) {
  std::mt19937 rng(4);
  std::bernoulli_distribution keep(density);
  std::vector<float> w = random_floats(M * taps, 5);
  constexpr int64_t kFilters = sinter::BsrWeights::kFilters;
  for (int64_t r = 0; r * kFilters < M; ++r)
    for (int64_t j = 0; j < taps; ++j)
      if (!keep(rng))
        for (int64_t m = r * kFilters; m < std::min(M, (r + 1) * kFilters); ++m)
          w[m * taps + j] = 0.0f;
  return w;
}

sinter::ThreadPool* pool_of(int threads) {
  static std::map<int, std::unique_ptr<sinter::ThreadPool>> pools;
  auto& p = pools[threads];
  if (!p) p = std::make_unique<sinter::ThreadPool>(threads);
  return p.get();
}

// Times layer `s` with weights `w` on `kernel` (0 dense Conv2d as planned, 1 pattern, 2 CSR, 3
// BSR), bias and ReLU, one thread; FLOPS counts the dense layer's.
void time_sparse_conv(benchmark::State& state, const sinter::Conv2dShape& s,
                      const std::vector<float>& w, int64_t kernel) {
  const auto x = random_floats(s.N * s.C * s.H * s.W, 7), bias = random_floats(s.M, 8);
  std::vector<float> y(s.N * s.M * s.OH() * s.OW());
  const auto relu = sinter::Activation::relu();
  std::function<void()> run;
  std::unique_ptr<sinter::Conv2d> dense;
  std::unique_ptr<sinter::PatternConv2d> pattern;
  std::unique_ptr<sinter::CsrConv2d> csr;
  std::unique_ptr<sinter::BsrConv2d> bsr;
  auto* pool = pool_of(1);
  if (kernel == 0) {
    dense = std::make_unique<sinter::Conv2d>(s, w.data(), bias.data(), relu);
    run = [&] { dense->run(x.data(), y.data(), nullptr, pool); };
  } else if (kernel == 1) {
    if (!sinter::PatternConv2d::supports(s, w.data())) return state.SkipWithError("not pattern");
    pattern = std::make_unique<sinter::PatternConv2d>(s, w.data(), bias.data(), relu);
    run = [&] { pattern->run(x.data(), y.data(), nullptr, pool); };
  } else if (kernel == 2) {
    csr = std::make_unique<sinter::CsrConv2d>(s, w.data(), bias.data(), relu);
    run = [&] { csr->run(x.data(), y.data(), nullptr, pool); };
  } else {
    bsr = std::make_unique<sinter::BsrConv2d>(s, w.data(), bias.data(), relu);
    run = [&] { bsr->run(x.data(), y.data(), nullptr, pool); };
  }
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * s.N * s.M * s.OH() * s.OW() * s.C * s.KH * s.KW;
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

// args: C, M, H (= W), batch, density in per mille (of weights; of kernels for pattern weights),
// weights (0 unstructured, 1 pattern), kernel (0 dense Conv2d as planned, 1 pattern, 2 CSR).
void BM_SparseConv2d(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.C = state.range(0);
  s.M = state.range(1);
  s.H = s.W = state.range(2);
  s.N = state.range(3);
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  time_sparse_conv(state, s,
                   pruned_weights(s.M * s.C * 9, state.range(4) / 1000.0, state.range(5) == 1),
                   state.range(6));
}

void conv_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "HW", "N", "permille", "pattern", "kernel"});
  for (auto [c, m, hw] : {std::tuple{32, 32, 28}, {64, 64, 14}})
    for (int64_t n : {1, 64}) {
      for (int64_t density : {50, 100, 200, 300, 400, 500})
        for (int64_t kernel : {0, 2}) b->Args({c, m, hw, n, density, 0, kernel});
      for (int64_t connectivity : {280, 500, 750, 1000})
        for (int64_t kernel : {0, 1, 2}) b->Args({c, m, hw, n, connectivity, 1, kernel});
    }
}
BENCHMARK(BM_SparseConv2d)->Apply(conv_args)->UseRealTime();

// VGG-16's 3x3 layers at batch 1 as `sinter prune --scheme pattern --patterns 8 --connectivity
// 3.6` leaves them (a kernel in 3.6 kept): the pattern kernel against the dense one.
void vgg16_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "HW", "N", "permille", "pattern", "kernel"});
  for (auto [c, m, hw] :
       {std::tuple{64, 64, 224}, {128, 128, 112}, {256, 256, 56}, {512, 512, 28}, {512, 512, 14}})
    for (int64_t kernel : {0, 1}) b->Args({c, m, hw, 1, 278, 1, kernel});
}
BENCHMARK(BM_SparseConv2d)->Name("BM_SparseConv2dVgg16")->Apply(vgg16_args)->UseRealTime();

// ResNet-18's 3x3 stride-1 layers, pruned alike.
void resnet18_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "HW", "N", "permille", "pattern", "kernel"});
  for (auto [c, m, hw] : {std::tuple{64, 64, 56}, {128, 128, 28}, {256, 256, 14}, {512, 512, 7}})
    for (int64_t kernel : {0, 1}) b->Args({c, m, hw, 1, 278, 1, kernel});
}
BENCHMARK(BM_SparseConv2d)->Name("BM_SparseConv2dResnet18")->Apply(resnet18_args)->UseRealTime();

// ResNet-50's 1x1 layers pruned 90 %: the CSR kernel on unstructured zeros and the BSR kernel on
// zeros in blocks of 4 filters, against the dense one. args: C, M, H (= W), density in per mille,
// kernel (0 dense Conv2d as planned, 2 CSR, 3 BSR).
void BM_SparseConv1x1(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.C = state.range(0);
  s.M = state.range(1);
  s.H = s.W = state.range(2);
  s.N = 1;
  s.KH = s.KW = 1;
  const double density = state.range(3) / 1000.0;
  time_sparse_conv(state, s,
                   state.range(4) == 3 ? block_pruned_weights(s.M, s.C, density)
                                       : pruned_weights(s.M * s.C, density, false),
                   state.range(4));
}

void resnet50_1x1_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "HW", "permille", "kernel"});
  for (auto [c, m, hw] : {std::tuple{64, 256, 56},
                          {256, 64, 56},
                          {128, 512, 28},
                          {512, 128, 28},
                          {256, 1024, 14},
                          {1024, 256, 14},
                          {512, 2048, 7},
                          {2048, 512, 7}})
    for (int64_t kernel : {0, 2, 3}) b->Args({c, m, hw, 100, kernel});
}
BENCHMARK(BM_SparseConv1x1)->Apply(resnet50_1x1_args)->UseRealTime();

// ResNet-50's 3x3 stride-1 layers pruned alike. args: C (= M), H (= W), density in per mille,
// kernel (0 dense, 2 CSR on unstructured zeros, 3 BSR on blocks).
void BM_SparseConv3x3Blocks(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.C = s.M = state.range(0);
  s.H = s.W = state.range(1);
  s.N = 1;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  const double density = state.range(2) / 1000.0;
  time_sparse_conv(state, s,
                   state.range(3) == 3 ? block_pruned_weights(s.M, s.C * 9, density)
                                       : pruned_weights(s.M * s.C * 9, density, false),
                   state.range(3));
}

void resnet50_3x3_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "HW", "permille", "kernel"});
  for (auto [c, hw] : {std::pair{64, 56}, {128, 28}, {256, 14}, {512, 7}})
    for (int64_t kernel : {0, 2, 3}) b->Args({c, hw, 100, kernel});
}
BENCHMARK(BM_SparseConv3x3Blocks)->Apply(resnet50_3x3_args)->UseRealTime();

// Quantized layers (u8 activations, s8 weights, per-channel scales) pattern-pruned alike: the
// integer pattern kernel against the dense integer one. args: C, M, H (= W), stride, kernel (0
// dense QConv2d, 1 QPatternConv2d). FLOPS: the dense layer's, as above.
void BM_QPatternConv2d(benchmark::State& state) {
  sinter::Conv2dShape s;
  s.C = state.range(0);
  s.M = state.range(1);
  s.H = s.W = state.range(2);
  s.stride_h = s.stride_w = state.range(3);
  s.N = 1;
  s.KH = s.KW = 3;
  s.pad_top = s.pad_left = s.pad_bottom = s.pad_right = 1;
  const auto wf = pruned_weights(s.M * s.C * 9, 0.278, true);
  std::vector<int8_t> w(wf.size());
  for (size_t i = 0; i < w.size(); ++i) w[i] = static_cast<int8_t>(wf[i] * 127.0f);
  std::mt19937 rng(9);
  std::vector<uint8_t> x(s.N * s.H * s.W * s.C), y(s.N * s.M * s.OH() * s.OW());
  for (auto& v : x) v = static_cast<uint8_t>(rng());
  const auto bias = random_floats(s.M, 8);
  sinter::kernels::QConvQuant q;
  q.x_scale = 0.02f;
  q.x_zero_point = 3;
  q.y_scale = 0.5f;
  q.y_zero_point = 0;
  q.w_scales.assign(s.M, 0.01f);
  std::function<void()> run;
  std::unique_ptr<sinter::kernels::QConv2d> dense;
  std::unique_ptr<sinter::kernels::QPatternConv2d> pattern;
  auto* pool = pool_of(1);
  if (state.range(4) == 0) {
    dense = std::make_unique<sinter::kernels::QConv2d>(s, w.data(), bias.data(), q);
    run = [&] { dense->run(x.data(), y.data(), pool); };
  } else {
    pattern = std::make_unique<sinter::kernels::QPatternConv2d>(s, w.data(), bias.data(), q);
    run = [&] { pattern->run(x.data(), y.data(), pool); };
  }
  for (auto _ : state) {
    run();
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * s.N * s.M * s.OH() * s.OW() * s.C * 9;
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

// ResNet-18's 3x3 layers, then VGG-16's wider ones.
void qpattern_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"C", "M", "HW", "stride", "kernel"});
  for (auto [c, m, hw, stride] : {std::tuple{64, 64, 56, 1},
                                  {64, 128, 56, 2},
                                  {128, 128, 28, 1},
                                  {256, 256, 14, 1},
                                  {512, 512, 7, 1},
                                  {256, 256, 56, 1},
                                  {512, 512, 28, 1},
                                  {512, 512, 14, 1}})
    for (int64_t kernel : {0, 1}) b->Args({c, m, hw, stride, kernel});
}
BENCHMARK(BM_QPatternConv2d)->Apply(qpattern_args)->UseRealTime();

// args: rows of A, K, N, density in per mille, kernel (0 dense packed B, 1 CSR). vgg-small's fc1.
// Gemm weights [K, N] pruned in blocks of BsrGemmWeights::kRows consecutive outputs at one input,
// each block kept with probability `density`.
std::vector<float> gemm_block_pruned_weights(int64_t K, int64_t N, double density) {
  std::mt19937 rng(6);
  std::bernoulli_distribution keep(density);
  std::vector<float> w = random_floats(K * N, 5);
  constexpr int64_t kRows = sinter::BsrGemmWeights::kRows;
  for (int64_t k = 0; k < K; ++k)
    for (int64_t j0 = 0; j0 < N; j0 += kRows)
      if (!keep(rng))
        std::fill(w.begin() + k * N + j0, w.begin() + k * N + std::min(N, j0 + kRows), 0.0f);
  return w;
}

// args: M, K, N, density in per mille, kernel (0 dense packed, 1 CSR on unstructured zeros, 2 BSR
// on zeros in blocks of outputs).
void BM_SparseGemm(benchmark::State& state) {
  const int64_t M = state.range(0), K = state.range(1), N = state.range(2);
  const double density = state.range(3) / 1000.0;
  const auto w = state.range(4) == 2 ? gemm_block_pruned_weights(K, N, density)
                                     : pruned_weights(K * N, density, false);  // [K, N]
  const auto a = random_floats(M * K, 7), bias = random_floats(N, 8);
  std::vector<float> y(M * N);
  sinter::GemmEpilogue epi;
  epi.bias_per_col = bias.data();
  epi.activation = sinter::Activation::relu();
  auto* pool = pool_of(1);
  if (state.range(4) == 0) {
    sinter::PackedMatrixB packed(false, K, N, w.data(), N);
    for (auto _ : state) {
      sinter::sgemm_packed_b(false, M, a.data(), K, packed, y.data(), N, epi, pool);
      benchmark::DoNotOptimize(y.data());
    }
  } else if (state.range(4) == 1) {
    sinter::CsrGemm csr(false, K, N, w.data(), 1.0f);
    for (auto _ : state) {
      csr.run(M, a.data(), K, y.data(), N, epi, 0.0f, pool);
      benchmark::DoNotOptimize(y.data());
    }
  } else {
    sinter::BsrGemm bsr(false, K, N, w.data(), 1.0f);
    for (auto _ : state) {
      bsr.run(M, a.data(), K, y.data(), N, epi, 0.0f, pool);
      benchmark::DoNotOptimize(y.data());
    }
  }
  state.counters["FLOPS"] = benchmark::Counter(
      2.0 * M * K * N * static_cast<double>(state.iterations()), benchmark::Counter::kIsRate);
}

void gemm_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "K", "N", "permille", "kernel"});
  for (int64_t m : {1, 64})
    for (int64_t density : {50, 100, 200, 300, 400, 500})
      for (int64_t kernel : {0, 1}) b->Args({m, 3136, 256, density, kernel});
}
BENCHMARK(BM_SparseGemm)->Apply(gemm_args)->UseRealTime();

// VGG-16's fc6 and fc7 at batch 1: unstructured zeros on CSR, zeros in blocks on BSR, at 90 %
// and at lower sparsities (where a weight too large for the caches makes the dense kernel slow).
void vgg16_fc_args(benchmark::internal::Benchmark* b) {
  b->ArgNames({"M", "K", "N", "permille", "kernel"});
  for (auto [k, n] : {std::pair{25088, 4096}, {4096, 4096}}) {
    b->Args({1, k, n, 100, 0});
    for (int64_t density : {100, 250, 400})
      for (int64_t kernel : {1, 2}) b->Args({1, k, n, density, kernel});
  }
}
BENCHMARK(BM_SparseGemm)->Name("BM_SparseGemmVgg16Fc")->Apply(vgg16_fc_args)->UseRealTime();

}  // namespace
