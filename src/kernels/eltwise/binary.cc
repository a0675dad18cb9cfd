// The fast path for broadcasting: drop size-1 output dimensions, merge neighbouring dimensions
// that broadcast the same way, and run a contiguous inner loop over the last merged dimension.
// Same-shape, scalar and per-channel ([N,C,H,W] op [1,C,1,1] or [C,1,1]) all reduce to one
// inner loop of length H*W or more, so they need no special cases of their own.
#include "kernels/eltwise/binary.h"

#include <algorithm>
#include <vector>

#include "core/error.h"

namespace sinter::kernels {

namespace {
constexpr int64_t kGrain = 16 * 1024;

struct Dim {
  int64_t size;
  bool a_bcast, b_bcast;
  int64_t a_stride = 0, b_stride = 0;
};

std::vector<Dim> coalesce(const Shape& a, const Shape& b, const Shape& out) {
  const size_t rank = out.size();
  std::vector<Dim> dims;
  for (size_t o = 0; o < rank; ++o) {
    if (out[o] == 1) continue;
    int64_t da = o + a.size() >= rank ? a[o + a.size() - rank] : 1;
    int64_t db = o + b.size() >= rank ? b[o + b.size() - rank] : 1;
    Dim d{out[o], da == 1, db == 1};
    if (!dims.empty() && dims.back().a_bcast == d.a_bcast && dims.back().b_bcast == d.b_bcast) {
      dims.back().size *= d.size;
    } else {
      dims.push_back(d);
    }
  }
  if (dims.empty()) dims.push_back({1, false, false});
  int64_t sa = 1, sb = 1;
  for (size_t k = dims.size(); k-- > 0;) {
    dims[k].a_stride = dims[k].a_bcast ? 0 : sa;
    dims[k].b_stride = dims[k].b_bcast ? 0 : sb;
    if (!dims[k].a_bcast) sa *= dims[k].size;
    if (!dims[k].b_bcast) sb *= dims[k].size;
  }
  return dims;
}

}  // namespace

const IsaTables<BinaryKernels>& binary_kernels() {
  static const IsaTables<BinaryKernels> tables{&detail::binary_kernels_portable(),
                                               &detail::binary_kernels_avx2(),
                                               &detail::binary_kernels_avx512()};
  return tables;
}

void binary(BinaryOp op, const float* a, const Shape& a_shape, const float* b, const Shape& b_shape,
            float* y, ThreadPool* pool) {
  detail::binary_with(binary_kernels().active(), op, a, a_shape, b, b_shape, y, pool);
}

void detail::binary_with(const BinaryKernels& kernels, BinaryOp op, const float* a,
                         const Shape& a_shape, const float* b, const Shape& b_shape, float* y,
                         ThreadPool* pool) {
  const Shape out = broadcast_shapes(a_shape, b_shape);
  const int64_t total = shape_numel(out);
  if (total == 0) return;
  const std::vector<Dim> dims = coalesce(a_shape, b_shape, out);
  const Dim& last = dims.back();
  const int64_t inner = last.size;

  // Outputs [begin, end) in row-major order; each piece lies inside one inner run.
  auto run = [&](int64_t begin, int64_t end) {
    int64_t pos = begin;
    while (pos < end) {
      int64_t outer = pos / inner, i0 = pos % inner;
      int64_t len = std::min(inner - i0, end - pos);
      int64_t oa = 0, ob = 0;
      for (size_t k = dims.size() - 1; k-- > 0;) {
        int64_t idx = outer % dims[k].size;
        outer /= dims[k].size;
        oa += idx * dims[k].a_stride;
        ob += idx * dims[k].b_stride;
      }
      const float* pa = a + oa;
      const float* pb = b + ob;
      float* py = y + pos;
      if (last.b_bcast) {
        kernels.vs(op, pa + i0, *pb, py, len);
      } else if (last.a_bcast) {
        kernels.sv(op, *pa, pb + i0, py, len);
      } else {
        kernels.vv(op, pa + i0, pb + i0, py, len);
      }
      pos += len;
    }
  };
  if (pool == nullptr || pool->num_threads() == 1 || total < 2 * kGrain) {
    run(0, total);
  } else {
    pool->parallel_range(total, kGrain, [&](int64_t b0, int64_t e0, int) { run(b0, e0); });
  }
}

}  // namespace sinter::kernels
