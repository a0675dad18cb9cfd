#pragma once
// Per-thread float scratch, grown on demand and kept for the thread's life: kernels that run on
// pool workers stage data there, each worker in its own buffer. Tag gives each user its own
// buffer, so two users never hand each other a buffer still in use. The buffer is 64-byte
// aligned: in a malloc'd one (16-byte aligned) many vector loads straddle two cache lines, and
// such a load costs about two.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <new>

namespace sinter::kernels {

template <class Tag>
float* thread_scratch(int64_t floats) {
  struct Free {
    void operator()(float* p) const { std::free(p); }
  };
  thread_local std::unique_ptr<float[], Free> buf;
  thread_local int64_t size = 0;
  if (size < floats) {
    const size_t bytes = (static_cast<size_t>(floats) * sizeof(float) + 63) / 64 * 64;
    buf.reset(static_cast<float*>(std::aligned_alloc(64, bytes)));
    if (!buf) throw std::bad_alloc();
    size = floats;
  }
  return buf.get();
}

}  // namespace sinter::kernels
