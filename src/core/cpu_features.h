#pragma once
// Transitional: the families not yet moved to kernels/isa_tables.h ask this. It follows
// active_isa(), so SINTER_ISA and --isa cap them too.
#include "core/isa.h"

namespace sinter {

struct CpuFeatures {
  bool has_avx2_fma() const { return active_isa() >= Isa::kAvx2; }
};

inline CpuFeatures cpu_features() { return {}; }

}  // namespace sinter
