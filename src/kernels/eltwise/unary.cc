// Dispatch for the unary kernels: the active ISA tier's table (kernels/isa_tables.h), its serial
// bodies split over the pool the same way on every tier.
#include "kernels/eltwise/unary.h"

namespace sinter::kernels {

namespace {
// 16K floats = 64 KiB per chunk: large enough that a chunk outweighs waking a worker, small
// enough that mid-sized tensors still use every thread. At most one chunk per thread, so a
// pool never runs more threads than it has.
constexpr int64_t kGrain = 16 * 1024;

template <class Fn>
void split(int64_t n, ThreadPool* pool, const Fn& fn) {
  if (pool == nullptr || pool->num_threads() == 1 || n < 2 * kGrain) {
    fn(0, n);
    return;
  }
  pool->parallel_range(n, kGrain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}
}  // namespace

const IsaTables<UnaryKernels>& unary_kernels() {
  static const IsaTables<UnaryKernels> tables{&detail::unary_kernels_portable(),
                                              &detail::unary_kernels_avx2(),
                                              &detail::unary_kernels_avx512()};
  return tables;
}

void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta,
           ThreadPool* pool) {
  const UnaryKernels& k = unary_kernels().active();
  split(n, pool, [&](int64_t b, int64_t e) { k.unary(op, x + b, y + b, e - b, alpha, beta); });
}

void apply_activation(const Activation& act, float* data, int64_t n, ThreadPool* pool) {
  if (act.kind == ActivationKind::kNone) return;
  const UnaryKernels& k = unary_kernels().active();
  split(n, pool, [&](int64_t b, int64_t e) { k.activation(act, data + b, e - b); });
}

}  // namespace sinter::kernels
