#pragma once
// Internal contract between the GEMM driver and its ISA-specific micro-kernels.
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/isa_tables.h"

namespace sinter::gemm {

// One MR x NR tile of C. Packed A holds kc steps of MR floats (zero-padded). B holds kc steps
// of NR floats, ldb apart: a zero-padded packed sliver (ldb == NR), or, when few rows of A share
// each B value so that packing would cost more than it saves, the row-major matrix itself
// (a full sliver only). The kernel computes a full tile and stores only mr x nr of it.
struct TileArgs {
  const float* a;
  const float* b;
  int64_t ldb;
  float* c;
  int64_t ldc;
  int64_t kc;
  int mr, nr;
  float alpha;
  // Weight of the old C: beta on the first K block, 1 on later ones; 0 means C is not read.
  float c_scale;
  bool last;              // last K block: add bias and residual, apply the activation
  const float* bias_row;  // at the tile's first row, or null
  const float* bias_col;  // at the tile's first column, or null
  const float* residual;  // at the tile's origin, or null
  int64_t ld_residual;
  const Activation* act;
};

// Scalar store of an accumulated tile (acc[i * ld_acc + j]): the definition the vector stores
// follow, and their fallback for activations without a vector form.
inline void store_tile_scalar(const TileArgs& t, const float* acc, int ld_acc) {
  for (int i = 0; i < t.mr; ++i) {
    float* c = t.c + i * t.ldc;
    for (int j = 0; j < t.nr; ++j) {
      float v = t.alpha * acc[i * ld_acc + j];
      if (t.c_scale != 0.0f) v += t.c_scale * c[j];
      if (t.last) {
        if (t.bias_row) v += t.bias_row[i];
        if (t.bias_col) v += t.bias_col[j];
        if (t.residual) v += t.residual[i * t.ld_residual + j];
        v = t.act->apply(v);
      }
      c[j] = v;
    }
  }
}

using MicroKernelFn = void (*)(const TileArgs&);

// A micro-kernel with its tile shape and the cache blocking tuned for it.
struct KernelSet {
  const char* name;
  int mr, nr;
  int64_t kc, mc, nc;  // mc is a multiple of mr, nc of nr
  MicroKernelFn micro;
};

// One set per tier, each defined in its tier's file.
const KernelSet& portable_kernel_set();
const KernelSet& avx2_kernel_set();
const KernelSet& avx512_kernel_set();

const kernels::IsaTables<KernelSet>& kernel_sets();

// The set of the active tier (active_isa()).
inline const KernelSet& active_kernel_set() { return kernel_sets().active(); }

}  // namespace sinter::gemm
