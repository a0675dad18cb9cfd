// Prints the best ISA tier this CPU runs (portable, avx2 or avx512): what run_at_tier.sh asks.
#include <cstdio>

#include "core/isa.h"

int main() {
  std::printf("%s\n", sinter::isa_name(sinter::supported_isa()));
  return 0;
}
