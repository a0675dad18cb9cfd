#pragma once
// The loops of reduce, written once in plain C++ that the compiler vectorizes, and compiled once
// per ISA tier (reduce_portable.cc, reduce_avx2.cc, reduce_avx512.cc): a tier's flags turn the
// 16 partial results of an output into 4 SSE, 2 AVX or 1 AVX-512 register. Everything here is
// TU-local (an unnamed namespace), so each tier keeps its own copy; float loops are written out
// rather than left to std::fill and friends, whose shared instantiations one tier's flags could
// otherwise leak into another's (tests/isa_leak_check.sh checks the binary for such leaks). The
// shape is coalesced into alternating runs of kept and reduced dims, and the innermost run decides
// the loop. When it is reduced (spatial and batch sums of NCHW, row sums) every output sums
// contiguous runs into several partial results at once; when it is kept (sums over leading axes,
// e.g. a bias gradient over the batch) a block of contiguous outputs takes one input row after the
// other. Both loops vectorize at -O3, and outputs are split over the pool; a full reduction is
// split into fixed blocks so that its order never depends on the number of threads.
#include <algorithm>

#include "kernels/reduce/reduce.h"
#include "kernels/reduce/reduce_step.h"

namespace sinter::kernels::detail {
namespace {

namespace step = reduce_step;

// Independent partial results per output: enough chains to hide the add latency, and a width
// that fills whole vector registers.
constexpr int kLanes = 16;
// Input elements a task gets at least, as the element-wise kernels split.
constexpr int64_t kGrain = 16 * 1024;
// A full reduction's fixed blocks, merged in order.
constexpr int64_t kBlock = 32 * 1024;
// Outputs a reduced-innermost task accumulates at once: 64 x kLanes floats = 4 KiB, in L1.
constexpr int64_t kOutputs = 64;
// Outputs a kept-innermost task updates per input row: 4 KiB, which stay in L1.
constexpr int64_t kColumns = 1024;

// Size-1 dims dropped and neighbours of one kind merged, innermost last, with input strides.
struct Runs {
  std::vector<int64_t> size, stride;
  std::vector<bool> reduced;
};

Runs coalesce(const Shape& shape, const std::vector<bool>& reduced) {
  Runs r;
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1) continue;
    if (!r.size.empty() && r.reduced.back() == reduced[d]) {
      r.size.back() *= shape[d];
    } else {
      r.size.push_back(shape[d]);
      r.reduced.push_back(reduced[d]);
    }
  }
  if (r.size.empty()) {  // one element: a kept run of one
    r.size.push_back(1);
    r.reduced.push_back(false);
  }
  r.stride.resize(r.size.size());
  int64_t s = 1;
  for (size_t i = r.size.size(); i-- > 0;) {
    r.stride[i] = s;
    s *= r.size[i];
  }
  return r;
}

// Input offsets of every index over some runs, the last fastest. With no runs it has one index.
class OffsetWalk {
 public:
  void add(int64_t size, int64_t stride) {
    size_.push_back(size);
    stride_.push_back(stride);
    index_.push_back(0);
  }
  int64_t count() const {
    int64_t n = 1;
    for (int64_t s : size_) n *= s;
    return n;
  }
  int64_t offset() const { return offset_; }
  void seek(int64_t flat) {
    offset_ = 0;
    for (size_t d = size_.size(); d-- > 0;) {
      index_[d] = flat % size_[d];
      flat /= size_[d];
      offset_ += index_[d] * stride_[d];
    }
  }
  void next() {
    for (size_t d = size_.size(); d-- > 0;) {
      offset_ += stride_[d];
      if (++index_[d] < size_[d]) return;
      offset_ -= stride_[d] * size_[d];
      index_[d] = 0;
    }
  }

 private:
  std::vector<int64_t> size_, stride_, index_;
  int64_t offset_ = 0;
};

template <class Fn>
void split(int64_t n, int64_t grain, ThreadPool* pool, const Fn& fn) {
  grain = std::max<int64_t>(grain, 1);
  if (pool == nullptr || pool->num_threads() == 1 || n < 2 * grain) {
    fn(0, n);
    return;
  }
  pool->parallel_range(n, grain, [&](int64_t b, int64_t e, int) { fn(b, e); });
}

// kLanes partial results of one output; element i of a run goes to lane i % kLanes.
template <ReduceOp op>
struct Lanes {
  float v[kLanes];

  Lanes() {
    for (float& l : v) l = step::identity<op, float>();
  }
  void add_run(const float* x, int64_t n) {
    int64_t i = 0;
    for (; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; ++j) v[j] = step::combine<op>(v[j], step::map<op>(x[i + j]));
    for (int j = 0; i + j < n; ++j) v[j] = step::combine<op>(v[j], step::map<op>(x[i + j]));
  }
  // Merged pairwise in a fixed order.
  float fold() const {
    float t[kLanes];
    for (int j = 0; j < kLanes; ++j) t[j] = v[j];
    for (int w = kLanes / 2; w > 0; w /= 2)
      for (int j = 0; j < w; ++j) t[j] = step::combine<op>(t[j], t[j + w]);
    return t[0];
  }
};

// Everything reduced: x is one run, cut into fixed blocks whose results merge in order.
template <ReduceOp op>
void reduce_all(const float* x, int64_t n, float* y, ThreadPool* pool) {
  const int64_t blocks = (n + kBlock - 1) / kBlock;
  std::vector<float> partial(blocks);
  split(blocks, 1, pool, [&](int64_t b, int64_t e) {
    for (int64_t k = b; k < e; ++k) {
      Lanes<op> acc;
      acc.add_run(x + k * kBlock, std::min(kBlock, n - k * kBlock));
      partial[k] = acc.fold();
    }
  });
  float acc = step::identity<op, float>();
  for (float p : partial) acc = step::combine<op>(acc, p);
  *y = step::finish<op>(acc, n);
}

// The innermost run is reduced: each output merges contiguous runs of it. Outputs go in blocks
// whose partial results stay in L1 while the reduced outer index steps in the outer loop, so
// that neighbouring outputs' runs (channels of one image) are read as one stream.
template <ReduceOp op>
void reduce_innermost(const float* x, const Runs& r, float* y, int64_t out_n, int64_t count,
                      ThreadPool* pool) {
  const int64_t run = r.size.back();
  OffsetWalk kept, outer;
  for (size_t i = 0; i + 1 < r.size.size(); ++i)
    (r.reduced[i] ? outer : kept).add(r.size[i], r.stride[i]);
  const int64_t runs = outer.count();
  split(out_n, kGrain / count, pool, [&](int64_t b, int64_t e) {
    Lanes<op> acc[kOutputs];
    OffsetWalk k = kept, o = outer;
    for (int64_t j0 = b; j0 < e; j0 += kOutputs) {
      const int64_t n = std::min(kOutputs, e - j0);
      for (int64_t j = 0; j < n; ++j) acc[j] = Lanes<op>();
      o.seek(0);
      for (int64_t i = 0; i < runs; ++i, o.next()) {
        k.seek(j0);
        for (int64_t j = 0; j < n; ++j, k.next()) acc[j].add_run(x + k.offset() + o.offset(), run);
      }
      for (int64_t j = 0; j < n; ++j) y[j0 + j] = step::finish<op>(acc[j].fold(), count);
    }
  });
}

// The innermost run is kept: blocks of its contiguous outputs take the input rows in order.
template <ReduceOp op>
void reduce_outer(const float* x, const Runs& r, float* y, int64_t count, ThreadPool* pool) {
  const int64_t width = r.size.back();
  OffsetWalk rows, red;
  for (size_t i = 0; i + 1 < r.size.size(); ++i)
    (r.reduced[i] ? red : rows).add(r.size[i], r.stride[i]);
  const int64_t block = std::min(width, kColumns);
  const int64_t blocks = (width + block - 1) / block;
  const int64_t steps = red.count();
  split(rows.count() * blocks, kGrain / (count * block), pool, [&](int64_t b, int64_t e) {
    OffsetWalk row = rows, in = red;
    row.seek(b / blocks);
    for (int64_t t = b; t < e; ++t) {
      if (t != b && t % blocks == 0) row.next();
      const int64_t c0 = (t % blocks) * block, n = std::min(block, width - c0);
      float* __restrict out = y + (t / blocks) * width + c0;
      for (int64_t c = 0; c < n; ++c) out[c] = step::identity<op, float>();
      in.seek(0);
      for (int64_t i = 0; i < steps; ++i, in.next()) {
        const float* __restrict src = x + row.offset() + in.offset() + c0;
        for (int64_t c = 0; c < n; ++c) out[c] = step::combine<op>(out[c], step::map<op>(src[c]));
      }
      for (int64_t c = 0; c < n; ++c) out[c] = step::finish<op>(out[c], count);
    }
  });
}

void reduce_loops(ReduceOp op, const float* x, const Shape& shape, const std::vector<bool>& reduced,
                  float* y, ThreadPool* pool) {
  step::dispatch(op, [&](auto tag) {
    constexpr ReduceOp kOp = decltype(tag)::value;
    int64_t out_n = 1;
    for (size_t d = 0; d < shape.size(); ++d)
      if (!reduced[d]) out_n *= shape[d];
    const int64_t n = shape_numel(shape);
    if (n == 0) {  // nothing to read; an empty reduction is the finished starting value
      for (int64_t j = 0; j < out_n; ++j) y[j] = step::finish<kOp>(step::identity<kOp, float>(), 0);
      return;
    }
    const int64_t count = n / out_n;
    const Runs r = coalesce(shape, reduced);
    if (!r.reduced.back()) {
      reduce_outer<kOp>(x, r, y, count, pool);
    } else if (out_n == 1) {
      reduce_all<kOp>(x, n, y, pool);
    } else {
      reduce_innermost<kOp>(x, r, y, out_n, count, pool);
    }
  });
}

}  // namespace
}  // namespace sinter::kernels::detail
