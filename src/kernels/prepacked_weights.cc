#include "kernels/prepacked_weights.h"

#include "kernels/gemm/sgemm_driver.h"

namespace sinter::kernels {

namespace {
thread_local PrepackedStore* installed = nullptr;
}  // namespace

PrepackedScope::PrepackedScope(PrepackedStore* store) : previous_(installed) { installed = store; }

PrepackedScope::~PrepackedScope() { installed = previous_; }

std::shared_ptr<float[]> prepacked_floats(int64_t count, const std::function<void(float*)>& pack) {
  auto make = [&] {
    std::shared_ptr<float[]> buffer = gemm::alloc_aligned_floats(count);
    pack(buffer.get());
    return buffer;
  };
  return installed ? installed->next(count, make) : make();
}

}  // namespace sinter::kernels
