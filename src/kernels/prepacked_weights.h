#pragma once
// Constant operands that kernels transform and pack at plan time (GEMM panels, Winograd weights)
// can be kept in plan files: while a plan is compiled for saving, every packed buffer is recorded;
// while a plan file is loaded, each is handed back in the order the kernel asks for it, so nothing
// is transformed or packed again. Kernels get such buffers from prepacked_floats(); with no store
// installed it allocates and packs, as it always did.
#include <cstdint>
#include <functional>
#include <memory>

namespace sinter::kernels {

// Where the buffers of the kernel being built come from or go to.
class PrepackedStore {
 public:
  virtual ~PrepackedStore() = default;
  // The next buffer of `count` floats: a saved one, or the one `make` allocates and packs (which a
  // recording store keeps).
  virtual std::shared_ptr<float[]> next(int64_t count,
                                        const std::function<std::shared_ptr<float[]>()>& make) = 0;
};

// Installs `store` for the requests made on this thread while it lives. Kernels are built on the
// planning thread, and a thread-local store spares every packing constructor a parameter.
class PrepackedScope {
 public:
  explicit PrepackedScope(PrepackedStore* store);
  ~PrepackedScope();
  PrepackedScope(const PrepackedScope&) = delete;
  PrepackedScope& operator=(const PrepackedScope&) = delete;

 private:
  PrepackedStore* previous_;
};

// A 64-byte aligned buffer of `count` floats filled by `pack`, or the installed store's copy of it.
std::shared_ptr<float[]> prepacked_floats(int64_t count, const std::function<void(float*)>& pack);

}  // namespace sinter::kernels
