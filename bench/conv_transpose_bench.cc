// ConvTranspose on a DCGAN generator's layers (batch 1): sinter's form (the input gradient of a
// convolution: GEMM of the weights with X, scattered by col2im) against the zero-insertion form
// it replaces (stride - 1 zeros inserted between the inputs, then a stride-1 convolution with the
// flipped weights, planned once as a compiler would for constant weights; the insertion is
// timed too). The zero-insertion form multiplies stride^2 times as many products, most of them
// with zeros. "FLOPS" counts the useful multiply-adds (2 per MAC) for both.
#include <benchmark/benchmark.h>

#include <map>
#include <memory>
#include <random>
#include <vector>

#include "core/thread_pool.h"
#include "kernels/conv/conv2d.h"
#include "kernels/conv/conv2d_backward.h"

namespace {

std::vector<float> random_floats(int64_t n) {
  std::mt19937 rng(5);
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

// args: C (in), M (out), H (= W, in), kernel, stride, pad, threads, form (0 sinter, 1 zero
// insertion).
void BM_ConvTranspose(benchmark::State& state) {
  const int64_t C = state.range(0), M = state.range(1), H = state.range(2), K = state.range(3);
  const int64_t S = state.range(4), P = state.range(5);
  auto* pool = pool_of(static_cast<int>(state.range(6)));
  const bool zero_insertion = state.range(7) == 1;
  const int64_t OH = S * (H - 1) + K - 2 * P;
  auto x = random_floats(C * H * H), w = random_floats(C * M * K * K);
  std::vector<float> y(static_cast<size_t>(M * OH * OH));
  // The convolution whose input gradient ConvTranspose is: Y [1, M, OH, OH] -> X [1, C, H, H].
  sinter::Conv2dShape forward;
  forward.C = M;
  forward.M = C;
  forward.H = forward.W = OH;
  forward.KH = forward.KW = K;
  forward.stride_h = forward.stride_w = S;
  forward.pad_top = forward.pad_left = forward.pad_bottom = forward.pad_right = P;
  // The zero-insertion form: U [1, C, (H-1)S+1, ...] padded by K-1-P, stride 1, weights flipped.
  const int64_t U = (H - 1) * S + 1;
  sinter::Conv2dShape inserted;
  inserted.C = C;
  inserted.M = M;
  inserted.H = inserted.W = U;
  inserted.KH = inserted.KW = K;
  inserted.pad_top = inserted.pad_left = inserted.pad_bottom = inserted.pad_right = K - 1 - P;
  std::vector<float> flipped(w.size());
  for (int64_t c = 0; c < C; ++c)
    for (int64_t m = 0; m < M; ++m)
      for (int64_t a = 0; a < K; ++a)
        for (int64_t b = 0; b < K; ++b)
          flipped[static_cast<size_t>(((m * C + c) * K + a) * K + b)] =
              w[static_cast<size_t>(((c * M + m) * K + (K - 1 - a)) * K + (K - 1 - b))];
  const sinter::Conv2dBackwardData transpose(forward);
  const sinter::Conv2d conv(inserted, flipped.data(), nullptr, sinter::Activation{});
  std::vector<float> upsampled(static_cast<size_t>(C * U * U), 0.0f);
  for (auto _ : state) {
    if (zero_insertion) {
      for (int64_t c = 0; c < C; ++c)
        for (int64_t i = 0; i < H; ++i)
          for (int64_t j = 0; j < H; ++j)
            upsampled[static_cast<size_t>((c * U + i * S) * U + j * S)] =
                x[static_cast<size_t>((c * H + i) * H + j)];
      conv.run(upsampled.data(), y.data(), nullptr, pool);
    } else {
      transpose.run(x.data(), w.data(), y.data(), pool);
    }
    benchmark::DoNotOptimize(y.data());
  }
  const double flops = 2.0 * static_cast<double>(C * H * H * M * K * K);
  state.counters["FLOPS"] = benchmark::Counter(flops * static_cast<double>(state.iterations()),
                                               benchmark::Counter::kIsRate);
}

void generator_layers(benchmark::internal::Benchmark* b, int threads) {
  b->ArgNames({"C", "M", "HW", "k", "s", "pad", "threads", "form"});
  // DCGAN's 64x64 generator after its first layer: 4x4 kernels, stride 2, pad 1.
  const std::vector<std::vector<int64_t>> layers = {
      {512, 256, 4, 4, 2, 1}, {256, 128, 8, 4, 2, 1}, {128, 64, 16, 4, 2, 1}, {64, 3, 32, 4, 2, 1}};
  for (const auto& l : layers)
    for (int form : {0, 1}) {
      std::vector<int64_t> args = l;
      args.push_back(threads);
      args.push_back(form);
      b->Args(args);
    }
}
BENCHMARK(BM_ConvTranspose)->Apply([](auto* b) { generator_layers(b, 1); });

}  // namespace
