#pragma once
// The integer GEMM tables the qgemm tests compare against the reference: each tier with code of
// its own that this CPU (capped by SINTER_ISA) runs, and at avx2 both tables whichever of them
// qgemm_kernels() chose (AVX-VNNI's where the CPU has it, vpmaddubsw's always).
#include <string>
#include <vector>

#include "family_tiers.h"
#include "kernels/qgemm/qgemm.h"

namespace sinter::kernels {

struct QGemmVariant {
  std::string name;
  const QGemmKernels* kernels;
};

inline std::vector<QGemmVariant> qgemm_variants() {
  std::vector<QGemmVariant> run;
  for (Isa isa : family_tiers("qgemm", qgemm_kernels())) {
    if (isa != Isa::kAvx2) {
      run.push_back({isa_name(isa), &qgemm_kernels().at(isa)});
      continue;
    }
    run.push_back({"avx2 vpmaddubsw", &detail::qgemm_kernels_avx2_maddubs()});
    if (has_vnni(Isa::kAvx2)) run.push_back({"avx2 vnni", &detail::qgemm_kernels_avx2_vnni()});
  }
  return run;
}

}  // namespace sinter::kernels
