#include "core/cpu_features.h"

#include <cstdlib>
#include <string>

namespace sinter {

namespace {
CpuFeatures detect() {
  CpuFeatures f;
#if defined(__x86_64__)
  __builtin_cpu_init();
  f.avx2 = __builtin_cpu_supports("avx2");
  f.fma = __builtin_cpu_supports("fma");
  f.avx512f = __builtin_cpu_supports("avx512f");
  f.avx512bw = __builtin_cpu_supports("avx512bw");
  f.avx512vl = __builtin_cpu_supports("avx512vl");
  f.avx512dq = __builtin_cpu_supports("avx512dq");
  f.avx512vnni = __builtin_cpu_supports("avx512vnni");
#endif
  if (const char* cap = std::getenv("SINTER_ISA")) {
    std::string c = cap;
    if (c == "portable" || c == "avx2") {
      f.avx512f = f.avx512bw = f.avx512vl = f.avx512dq = f.avx512vnni = false;
    }
    if (c == "portable") f.avx2 = f.fma = false;
  }
  return f;
}
}  // namespace

const CpuFeatures& cpu_features() {
  static const CpuFeatures features = detect();
  return features;
}

}  // namespace sinter
