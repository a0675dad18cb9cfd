// Prints one core's measured fp32 multiply-add peak at every ISA tier this CPU runs, with the
// CPU model, as a table or (--json) one JSON line. Tiers above the CPU's best are listed as
// skipped, not run.
#include <cstdio>
#include <cstring>
#include <string>

#include "core/isa.h"
#include "kernels/peak/fma_peak.h"

int main(int argc, char** argv) {
  const bool json = argc > 1 && std::strcmp(argv[1], "--json") == 0;
  if (argc > 1 && !json) {
    std::fprintf(stderr, "usage: sinter_peak [--json]\n");
    return 2;
  }
  using sinter::Isa;
  std::string rows;
  if (!json)
    std::printf("cpu: %s (%s)\n", sinter::cpu_model().c_str(), sinter::cpu_extensions().c_str());
  for (Isa isa : sinter::kAllIsas) {
    const char* name = sinter::isa_name(isa);
    if (isa > sinter::supported_isa()) {
      if (!json) std::printf("%-9s skipped: this CPU lacks it\n", name);
      continue;
    }
    const double gflops = sinter::kernels::measure_fp32_peak_gflops(isa);
    if (json) {
      rows +=
          (rows.empty() ? "" : ", ") + std::string("\"") + name + "\": " + std::to_string(gflops);
    } else {
      std::printf("%-9s %7.1f GFLOP/s fp32, one core\n", name, gflops);
    }
  }
  if (json)
    std::printf("{\"cpu\": \"%s\", \"fp32_peak_gflops_one_core\": {%s}}\n",
                sinter::cpu_model().c_str(), rows.c_str());
  return 0;
}
