#pragma once
// How every kernel family dispatches on the ISA tier: one table of function pointers per tier,
// defined in that tier's file (`*_portable.cc`, `*_avx2.cc`, `*_avx512.cc`, each compiled with
// its tier's flags), collected here and chosen from active_isa(). A tier a family has no code
// for falls back to the next tier down, so adding a tier is adding files, not editing callers.
// The plain `*_reference` functions are not tiers: they are the oracle tests compare against.
#include "core/isa.h"

namespace sinter::kernels {

template <class Table>
struct IsaTables {
  const Table* portable;
  const Table* avx2 = nullptr;
  const Table* avx512 = nullptr;

  // The best table at or below `isa`.
  const Table& at(Isa isa) const {
    if (isa >= Isa::kAvx512 && avx512) return *avx512;
    if (isa >= Isa::kAvx2 && avx2) return *avx2;
    return *portable;
  }
  const Table& active() const { return at(active_isa()); }
  // Whether `isa` has code of its own (tests skip the tiers that only fall back).
  bool has(Isa isa) const {
    return isa == Isa::kPortable || (isa == Isa::kAvx2 && avx2) || (isa == Isa::kAvx512 && avx512);
  }
  // The best tier at or below active_isa() with code of its own that accepts `shape` (through
  // the table's `supports` predicate); the portable table takes everything.
  template <class Shape>
  const Table& best_for(const Shape& shape) const {
    for (Isa isa = active_isa(); isa > Isa::kPortable;
         isa = static_cast<Isa>(static_cast<int>(isa) - 1))
      if (has(isa) && at(isa).supports(shape)) return at(isa);
    return *portable;
  }
};

}  // namespace sinter::kernels
