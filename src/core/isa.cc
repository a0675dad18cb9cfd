#include "core/isa.h"

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#if defined(__x86_64__)
#include <cpuid.h>
#endif

namespace sinter {
namespace {

struct Extensions {
  bool avx2 = false, fma = false, f16c = false;
  bool avx512f = false, avx512bw = false, avx512vl = false, avx512dq = false;
  bool avx512vnni = false, avx512bf16 = false, avxvnni = false;
};

// __builtin_cpu_supports also checks that the OS saves the wider registers (XGETBV). F16C and
// AVX-VNNI are read from CPUID directly: not every compiler's builtin knows their names (they
// only matter where AVX2, and so the OS's ymm support, is present too).
Extensions detect_extensions() {
  Extensions e;
#if defined(__x86_64__)
  __builtin_cpu_init();
  e.avx2 = __builtin_cpu_supports("avx2");
  e.fma = __builtin_cpu_supports("fma");
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid(1, &a, &b, &c, &d)) e.f16c = e.avx2 && (c & (1u << 29));
  if (__get_cpuid_count(7, 1, &a, &b, &c, &d)) e.avxvnni = e.avx2 && (a & (1u << 4));
  e.avx512f = __builtin_cpu_supports("avx512f");
  e.avx512bw = __builtin_cpu_supports("avx512bw");
  e.avx512vl = __builtin_cpu_supports("avx512vl");
  e.avx512dq = __builtin_cpu_supports("avx512dq");
  e.avx512vnni = __builtin_cpu_supports("avx512vnni");
  e.avx512bf16 = __builtin_cpu_supports("avx512bf16");
#endif
  return e;
}

const Extensions& extensions() {
  static const Extensions e = detect_extensions();
  return e;
}

}  // namespace

bool has_vnni(Isa isa) {
  switch (isa) {
    case Isa::kAvx512:
      return extensions().avx512vnni;
    case Isa::kAvx2:
      return extensions().avxvnni;
    case Isa::kPortable:
      return false;
  }
  return false;
}

namespace {

Isa detect_supported() {
  const Extensions& e = extensions();
  if (e.avx2 && e.fma && e.f16c && e.avx512f && e.avx512bw && e.avx512vl && e.avx512dq)
    return Isa::kAvx512;
  if (e.avx2 && e.fma && e.f16c) return Isa::kAvx2;
  return Isa::kPortable;
}

enum class CapSource { kNone, kEnvironment, kCaller };

struct Cap {
  Isa isa = Isa::kAvx512;
  CapSource source = CapSource::kNone;
};

Cap cap_from_environment() {
  Cap cap;
  const char* value = std::getenv("SINTER_ISA");
  if (!value || !*value) return cap;
  if (const auto isa = parse_isa(value)) {
    cap.isa = *isa;
    cap.source = CapSource::kEnvironment;
  } else {
    // Kernels choose deep inside planning, where an exception would be out of place.
    std::fprintf(stderr, "sinter: SINTER_ISA=%s is not portable, avx2 or avx512; ignored\n", value);
  }
  return cap;
}

std::atomic<int> g_caller_cap{-1};

Cap current_cap() {
  static const Cap from_env = cap_from_environment();
  const int caller = g_caller_cap.load(std::memory_order_relaxed);
  if (caller >= 0) return {static_cast<Isa>(caller), CapSource::kCaller};
  return from_env;
}

}  // namespace

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::kPortable:
      return "portable";
    case Isa::kAvx2:
      return "avx2";
    case Isa::kAvx512:
      return "avx512";
  }
  return "unknown";
}

std::optional<Isa> parse_isa(std::string_view name) {
  for (Isa isa : kAllIsas)
    if (name == isa_name(isa)) return isa;
  return std::nullopt;
}

Isa supported_isa() {
  static const Isa isa = detect_supported();
  return isa;
}

Isa active_isa() {
  const Isa cap = current_cap().isa;
  return cap < supported_isa() ? cap : supported_isa();
}

void set_isa_cap(Isa cap) { g_caller_cap.store(static_cast<int>(cap), std::memory_order_relaxed); }

std::vector<Isa> active_isas() {
  std::vector<Isa> isas;
  for (Isa isa : kAllIsas)
    if (isa <= active_isa()) isas.push_back(isa);
  return isas;
}

std::string isa_explanation() {
  const Cap cap = current_cap();
  const Isa best = supported_isa(), active = active_isa();
  std::string line = isa_name(active);
  if (active < best) {
    line += cap.source == CapSource::kCaller ? " (capped by --isa" : " (capped by SINTER_ISA";
    line += std::string("; the CPU has ") + isa_name(best) + ")";
  } else if (cap.source != CapSource::kNone && cap.isa > best) {
    line += std::string(" (the best this CPU has; ") + isa_name(cap.isa) + " was asked for)";
  } else {
    line += " (the best this CPU has)";
  }
  return line;
}

std::string cpu_model() {
#if defined(__x86_64__)
  unsigned regs[12] = {};
  unsigned max_leaf = __get_cpuid_max(0x80000000u, nullptr);
  if (max_leaf >= 0x80000004u) {
    for (unsigned i = 0; i < 3; ++i)
      __get_cpuid(0x80000002u + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                  &regs[4 * i + 3]);
    char brand[49] = {};
    std::memcpy(brand, regs, 48);
    std::string s = brand;
    const size_t first = s.find_first_not_of(' '), last = s.find_last_not_of(' ');
    if (first != std::string::npos) return s.substr(first, last - first + 1);
  }
#endif
  return "unknown CPU";
}

std::string cpu_extensions() {
  const Extensions& e = extensions();
  const std::pair<bool, const char*> all[] = {{e.avx2, "avx2"},
                                              {e.fma, "fma"},
                                              {e.f16c, "f16c"},
                                              {e.avx512f, "avx512f"},
                                              {e.avx512bw, "avx512bw"},
                                              {e.avx512vl, "avx512vl"},
                                              {e.avx512dq, "avx512dq"},
                                              {e.avx512vnni, "avx512vnni"},
                                              {e.avx512bf16, "avx512bf16"},
                                              {e.avxvnni, "avxvnni"}};
  std::string s;
  for (const auto& [present, name] : all) {
    if (!present) continue;
    if (!s.empty()) s += ' ';
    s += name;
  }
  return s.empty() ? "none of avx2/avx512" : s;
}

}  // namespace sinter
