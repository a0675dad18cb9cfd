#pragma once

namespace sinter {

// What the running CPU can execute; kernels with ISA-specific code ask this at plan time.
struct CpuFeatures {
  bool avx2 = false;
  bool fma = false;
  bool avx512f = false;
  bool avx512bw = false;
  bool avx512vl = false;
  bool avx512dq = false;
  bool avx512vnni = false;

  bool has_avx2_fma() const { return avx2 && fma; }
  bool has_avx512() const { return avx512f && avx512bw && avx512vl && avx512dq; }
};

// Detected once; SINTER_ISA=portable|avx2|avx512 caps it (for testing every path on one machine).
const CpuFeatures& cpu_features();

}  // namespace sinter
