#include "kernels/qeltwise/qadd.h"

namespace sinter::kernels {

const IsaTables<QAddKernels>& qadd_kernels() {
  static const IsaTables<QAddKernels> tables = {&detail::qadd_kernels_portable(),
                                                &detail::qadd_kernels_avx2(),
                                                &detail::qadd_kernels_avx512()};
  return tables;
}

void qadd(const uint8_t* a, const uint8_t* b, int64_t n, const QAddQuant& q, uint8_t* y,
          ThreadPool* pool, const QAddKernels& tier) {
  auto range = [&](int64_t begin, int64_t end, int) {
    tier.add(a + begin, b + begin, end - begin, q, y + begin);
  };
  if (pool) {
    pool->parallel_range(n, 16384, range);
  } else {
    range(0, n, 0);
  }
}

}  // namespace sinter::kernels
