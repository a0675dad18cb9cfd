// Reductions of training's shapes, the fast kernel beside its reference, reporting GB/s read.
#include <benchmark/benchmark.h>

#include <memory>
#include <random>
#include <vector>

#include "kernels/reduce/reduce.h"

namespace sinter::kernels {
namespace {

// Args: layout, threads, reference (1: the plain-loop twin). Layouts, on [64,32,28,28] unless
// named: 0 axes (0,2,3) (conv bias gradient, batch-norm mean); 1 axis 0 of [64,1024] (Gemm bias
// gradient); 2 axes (2,3) (spatial mean); 3 all axes (loss).
void BM_ReduceSum(benchmark::State& state) {
  const int64_t layout = state.range(0);
  const Shape shape = layout == 1 ? Shape{64, 1024} : Shape{64, 32, 28, 28};
  const std::vector<std::vector<bool>> masks = {{true, false, true, true},
                                                {true, false},
                                                {false, false, true, true},
                                                {true, true, true, true}};
  const std::vector<bool>& reduced = masks[layout];
  auto pool = state.range(1) > 1 ? std::make_unique<ThreadPool>(int(state.range(1))) : nullptr;
  std::mt19937 rng(0);
  std::uniform_real_distribution<float> d(-1, 1);
  std::vector<float> x(shape_numel(shape)), y(x.size());
  for (float& v : x) v = d(rng);
  for (auto _ : state) {
    if (state.range(2)) {
      reduce_reference(ReduceOp::kSum, x.data(), shape, reduced, y.data());
    } else {
      reduce(ReduceOp::kSum, x.data(), shape, reduced, y.data(), pool.get());
    }
    benchmark::ClobberMemory();
  }
  state.counters["GB/s"] =
      benchmark::Counter(4.0 * x.size() * state.iterations() / 1e9, benchmark::Counter::kIsRate);
}
void ReduceArgs(benchmark::internal::Benchmark* b) {
  b->ArgNames({"layout", "thr", "ref"});
  for (int64_t layout = 0; layout < 4; ++layout) {
    b->Args({layout, 1, 1});
    b->Args({layout, 1, 0});
    b->Args({layout, 2, 0});
  }
}
BENCHMARK(BM_ReduceSum)->Apply(ReduceArgs)->UseRealTime();

}  // namespace
}  // namespace sinter::kernels
