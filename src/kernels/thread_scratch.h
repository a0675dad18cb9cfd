#pragma once
// Per-thread float scratch, grown on demand and kept for the thread's life: kernels that run on
// pool workers stage data there, each worker in its own buffer. Tag gives each user its own
// buffer, so two users never hand each other a buffer still in use.
#include <cstdint>
#include <vector>

namespace sinter::kernels {

template <class Tag>
float* thread_scratch(int64_t floats) {
  thread_local std::vector<float> buf;
  if (buf.size() < static_cast<size_t>(floats)) buf.resize(static_cast<size_t>(floats));
  return buf.data();
}

}  // namespace sinter::kernels
