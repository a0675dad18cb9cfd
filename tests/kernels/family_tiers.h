#pragma once
// The ISA tiers of one kernel family that a test compares against the reference: tested_isas()
// (every tier this CPU, capped by SINTER_ISA, runs; printed once) without the tiers the family has
// no code of its own for, which only fall back to a lower tier that is tested anyway. Says once
// per family, on stdout, which tiers run and which were left out and why.
#include <cstdio>
#include <string>
#include <vector>

#include "isa_tiers.h"
#include "kernels/isa_tables.h"

namespace sinter {

template <class Table>
std::vector<Isa> family_tiers(const char* family, const kernels::IsaTables<Table>& tables) {
  std::vector<Isa> run;
  std::string ran, no_code, no_cpu;
  for (Isa isa : kAllIsas) {
    std::string name = std::string(" ") + isa_name(isa);
    if (!tables.has(isa)) {
      no_code += name;
    } else if (isa > active_isa()) {
      no_cpu += name;
    } else {
      ran += name;
    }
  }
  for (Isa isa : tested_isas())
    if (tables.has(isa)) run.push_back(isa);
  static bool said = false;  // once per Table type, i.e. per family
  if (!said) {
    said = true;
    std::printf(
        "[ isa tiers ] %s: tested:%s; skipped, not run by this CPU or SINTER_ISA:%s; "
        "skipped, no code of their own:%s\n",
        family, ran.c_str(), no_cpu.empty() ? " none" : no_cpu.c_str(),
        no_code.empty() ? " none" : no_code.c_str());
  }
  return run;
}

}  // namespace sinter
