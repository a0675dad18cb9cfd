#pragma once
// The ISA tiers a kernel test compares against the reference: every tier up to active_isa().
// The first call says once, on stdout, which tiers run and which this CPU (or the SINTER_ISA
// cap) leaves out, so a log shows what was and was not tested.
#include <cstdio>
#include <string>
#include <vector>

#include "core/isa.h"

namespace sinter {

inline const std::vector<Isa>& tested_isas() {
  static const std::vector<Isa> isas = [] {
    std::vector<Isa> run = active_isas();
    std::string ran, skipped;
    for (Isa isa : kAllIsas)
      (isa <= active_isa() ? ran : skipped) += std::string(" ") + isa_name(isa);
    std::printf("[ isa tiers ] tested:%s; skipped:%s (active: %s)\n", ran.c_str(),
                skipped.empty() ? " none" : skipped.c_str(), isa_explanation().c_str());
    return run;
  }();
  return isas;
}

}  // namespace sinter
