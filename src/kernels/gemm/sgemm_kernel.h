#pragma once
// Internal contract between the GEMM driver and its ISA-specific micro-kernels.
#include <algorithm>
#include <cstdint>

#include "kernels/activation.h"
#include "kernels/isa_tables.h"

namespace sinter::gemm {

// Where a run of a tile's columns lands in C: columns [begin, end) of the tile go to
// c + offset + j (j the column within the tile).
struct ColumnSegment {
  int begin, end;
  int64_t offset;
};
// A tile of a plane convolution (kernels/conv/conv2d_plane.h) crosses several output rows, and
// its columns past each row's end are not stored: one segment per row it crosses.
constexpr int kMaxColumnSegments = 6;
struct ColumnSegments {
  int count = 0;
  ColumnSegment seg[kMaxColumnSegments];
};

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
  // Set for plane convolutions: B's row k starts at b + b_rows[k] (ldb unused), and C, the
  // residual and the old C are addressed through the segments instead of as a plain tile.
  const int64_t* b_rows;
  const ColumnSegments* segments;
  // Cache lines of a later tile's constant operand to fetch while this one computes, one per
  // k step from the first (weights come from L3 or memory the first time a tile reads them).
  const float* prefetch;
  int64_t prefetch_lines;
};

// Scalar store of an accumulated tile (acc[i * ld_acc + j]): the definition the vector stores
// follow, and their fallback for activations without a vector form.
inline void store_tile_scalar(const TileArgs& t, const float* acc, int ld_acc) {
  const ColumnSegments plain{1, {{0, t.nr, 0}}};
  const ColumnSegments& segs = t.segments ? *t.segments : plain;
  for (int i = 0; i < t.mr; ++i) {
    for (int s = 0; s < segs.count; ++s) {
      const ColumnSegment& seg = segs.seg[s];
      float* c = t.c + i * t.ldc + seg.offset;
      const float* r = t.residual ? t.residual + i * t.ld_residual + seg.offset : nullptr;
      for (int j = seg.begin; j < std::min(seg.end, t.nr); ++j) {
        float v = t.alpha * acc[i * ld_acc + j];
        if (t.c_scale != 0.0f) v += t.c_scale * c[j];
        if (t.last) {
          if (t.bias_row) v += t.bias_row[i];
          if (t.bias_col) v += t.bias_col[j];
          if (r) v += r[j];
          v = t.act->apply(v);
        }
        c[j] = v;
      }
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
  // Rows one call takes on a tile of at most nr / 2 columns: mr, or 2 * mr when the kernel puts
  // the next A sliver (kc * mr floats on) into the accumulators such a narrow tile leaves idle.
  int narrow_rows;
};

// One set per tier, each defined in its tier's file.
const KernelSet& portable_kernel_set();
const KernelSet& avx2_kernel_set();
const KernelSet& avx512_kernel_set();

const kernels::IsaTables<KernelSet>& kernel_sets();

// The set of the active tier (active_isa()).
inline const KernelSet& active_kernel_set() { return kernel_sets().active(); }

}  // namespace sinter::gemm
