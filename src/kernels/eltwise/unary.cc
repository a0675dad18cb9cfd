// Dispatch for the unary kernels: AVX2+FMA when the CPU (and SINTER_ISA) allow it, else the
// reference loops, which are portable and correct. Both are split over the pool the same way.
#include "kernels/eltwise/unary.h"

#include "core/cpu_features.h"

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

void unary(UnaryOp op, const float* x, float* y, int64_t n, float alpha, float beta,
           ThreadPool* pool) {
  const bool avx2 = cpu_features().has_avx2_fma();
  split(n, pool, [&](int64_t b, int64_t e) {
    if (avx2) {
      detail::unary_avx2(op, x + b, y + b, e - b, alpha, beta);
    } else {
      unary_reference(op, x + b, y + b, e - b, alpha, beta);
    }
  });
}

void apply_activation(const Activation& act, float* data, int64_t n, ThreadPool* pool) {
  if (act.kind == ActivationKind::kNone) return;
  const bool avx2 = cpu_features().has_avx2_fma();
  split(n, pool, [&](int64_t b, int64_t e) {
    if (avx2) {
      detail::apply_activation_avx2(act, data + b, e - b);
    } else {
      apply_activation_reference(act, data + b, e - b);
    }
  });
}

}  // namespace sinter::kernels
