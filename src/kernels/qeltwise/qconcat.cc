#include "kernels/qeltwise/qconcat.h"

#include <cstring>

namespace sinter::kernels {

const IsaTables<QConcatKernels>& qconcat_kernels() {
  static const IsaTables<QConcatKernels> tables = {&detail::qconcat_kernels_portable(),
                                                   &detail::qconcat_kernels_avx2(),
                                                   &detail::qconcat_kernels_avx512()};
  return tables;
}

void qconcat_channels(const std::vector<QConcatInput>& inputs, int64_t pixels, uint8_t* y,
                      ThreadPool* pool, const QConcatKernels& tier) {
  int64_t width = 0;
  for (const QConcatInput& in : inputs) width += in.channels;
  auto range = [&](int64_t begin, int64_t end, int) {
    for (int64_t p = begin; p < end; ++p) {
      uint8_t* out = y + p * width;
      for (const QConcatInput& in : inputs) {
        const uint8_t* x = in.x + p * in.channels;
        if (in.requant) {
          tier.requant(x, in.channels, *in.requant, out);
        } else {
          std::memcpy(out, x, static_cast<size_t>(in.channels));
        }
        out += in.channels;
      }
    }
  };
  if (pool) {
    pool->parallel_range(pixels, 64, range);
  } else {
    range(0, pixels, 0);
  }
}

}  // namespace sinter::kernels
