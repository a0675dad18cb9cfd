#pragma once
// The instruction-set tiers kernels are built for, the best one this CPU runs, and the cap a
// user or test puts on it (SINTER_ISA, `--isa`). Every kernel family chooses its code through
// the tier returned by active_isa(); nothing else asks the CPU what it has.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sinter {

// Ordered: a CPU that runs a tier runs every tier below it.
enum class Isa : int {
  kPortable = 0,  // plain C++ (the compiler's baseline x86-64 vectorization)
  kAvx2 = 1,      // AVX2 + FMA + F16C, 256-bit
  kAvx512 = 2,    // AVX-512 F, BW, VL and DQ, 512-bit
};

inline constexpr Isa kAllIsas[] = {Isa::kPortable, Isa::kAvx2, Isa::kAvx512};

const char* isa_name(Isa isa);
// "portable", "avx2" or "avx512"; nullopt for anything else.
std::optional<Isa> parse_isa(std::string_view name);

// The best tier this CPU (and its operating system) can execute.
Isa supported_isa();
// The tier kernels use: supported_isa() capped by set_isa_cap() or, before that, SINTER_ISA.
Isa active_isa();
// Caps the tier for kernels chosen from now on (a plan keeps what it chose when it was built).
void set_isa_cap(Isa cap);
// Whether this CPU has the 8-bit dot-product instructions (VNNI's vpdpbusd) at tier `isa`:
// AVX-512-VNNI for avx512, AVX-VNNI for avx2; never for portable. Integer kernels choose their
// code with it.
bool has_vnni(Isa isa);
// Every tier from portable up to active_isa(): what tests compare against the reference.
std::vector<Isa> active_isas();

// One line saying which tier is in use and why, e.g. "avx2 (capped by --isa; the CPU has avx512)".
std::string isa_explanation();
// The CPU's brand string from CPUID ("AMD EPYC 9B45 ..."), or "unknown CPU".
std::string cpu_model();
// The CPU extensions the tiers look at, as present on this CPU: "avx2 fma f16c avx512f ...".
std::string cpu_extensions();

}  // namespace sinter
