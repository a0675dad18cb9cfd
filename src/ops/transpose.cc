// Transpose: permutes dims ('perm', reversed by default). The kernel first merges dims that stay
// adjacent, so NCHW<->NHWC and matrix transposes become a batched 2-D transpose done in cache
// tiles; anything else is a strided copy along the output's last dim.
#include <algorithm>
#include <numeric>

#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {

namespace {

// Drops size-1 dims and merges runs of input dims that stay consecutive in the output.
void coalesce(const Shape& in_shape, const std::vector<int64_t>& perm, Shape& dims,
              std::vector<int64_t>& out_perm) {
  std::vector<int64_t> kept;  // input dims that matter, in output order
  for (int64_t p : perm)
    if (in_shape[p] != 1) kept.push_back(p);
  // Groups of consecutive input dims, in output order.
  std::vector<std::pair<int64_t, int64_t>> groups;  // first input dim, size
  for (size_t i = 0; i < kept.size(); ++i) {
    if (i > 0) {
      int64_t prev = kept[i - 1], cur = kept[i];
      // Consecutive unless a kept dim lies between them in the input.
      bool adjacent = cur > prev;
      for (int64_t k = prev + 1; adjacent && k < cur; ++k) adjacent = in_shape[k] == 1;
      if (adjacent) {
        groups.back().second *= in_shape[cur];
        continue;
      }
    }
    groups.push_back({kept[i], in_shape[kept[i]]});
  }
  // Rank of each group in input order.
  std::vector<size_t> order(groups.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return groups[a].first < groups[b].first; });
  dims.assign(groups.size(), 0);
  out_perm.assign(groups.size(), 0);
  std::vector<int64_t> rank_of(groups.size());
  for (size_t r = 0; r < order.size(); ++r) {
    dims[r] = groups[order[r]].second;
    rank_of[order[r]] = static_cast<int64_t>(r);
  }
  for (size_t i = 0; i < groups.size(); ++i) out_perm[i] = rank_of[i];
}

// out[b][c][r] = in[b][r][c] for a [batch, rows, cols] input, in 32x32 tiles. Each tile goes
// through a small local buffer so that both the reads and the writes are whole contiguous runs:
// with power-of-two row pitches, touching 32 rows at once would thrash the L1 sets.
template <class T>
void transpose_2d(const T* in, T* out, int64_t batch, int64_t rows, int64_t cols,
                  ThreadPool* pool) {
  constexpr int64_t kTile = 32;
  int64_t row_tiles = (rows + kTile - 1) / kTile;
  auto body = [&](int64_t begin, int64_t end, int) {
    alignas(64) T buf[kTile][kTile];
    for (int64_t job = begin; job < end; ++job) {
      int64_t b = job / row_tiles, r0 = (job % row_tiles) * kTile;
      int64_t nr = std::min(rows - r0, kTile);
      const T* src = in + b * rows * cols;
      T* dst = out + b * rows * cols;
      for (int64_t c0 = 0; c0 < cols; c0 += kTile) {
        int64_t nc = std::min(cols - c0, kTile);
        for (int64_t r = 0; r < nr; ++r) {
          const T* s = src + (r0 + r) * cols + c0;
          for (int64_t c = 0; c < nc; ++c) buf[c][r] = s[c];
        }
        for (int64_t c = 0; c < nc; ++c)
          std::memcpy(dst + (c0 + c) * rows + r0, buf[c], nr * sizeof(T));
      }
    }
  };
  int64_t jobs = batch * row_tiles;
  if (pool && pool->num_threads() > 1 && rows * cols * batch >= (1 << 16))
    pool->parallel_range(jobs, 1, body);
  else
    body(0, jobs, 0);
}

template <class T>
void transpose_generic(const T* in, T* out, const Shape& dims, const std::vector<int64_t>& perm) {
  int64_t rank = static_cast<int64_t>(dims.size());
  std::vector<int64_t> in_strides = shape_strides(dims);
  Shape out_dims(rank);
  std::vector<int64_t> step(rank);  // input stride along each output dim
  for (int64_t i = 0; i < rank; ++i) {
    out_dims[i] = dims[perm[i]];
    step[i] = in_strides[perm[i]];
  }
  int64_t inner = out_dims[rank - 1], inner_step = step[rank - 1];
  int64_t rows = shape_numel(out_dims) / inner;
  std::vector<int64_t> idx(rank, 0);
  int64_t off = 0;
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t c = 0; c < inner; ++c) out[r * inner + c] = in[off + c * inner_step];
    for (int64_t d = rank - 2; d >= 0; --d) {
      if (++idx[d] < out_dims[d]) {
        off += step[d];
        break;
      }
      off -= step[d] * (out_dims[d] - 1);
      idx[d] = 0;
    }
  }
}

template <class T>
void transpose_typed(const void* src, void* dst, const Shape& dims,
                     const std::vector<int64_t>& perm, ThreadPool* pool) {
  const T* in = static_cast<const T*>(src);
  T* out = static_cast<T*>(dst);
  int64_t rank = static_cast<int64_t>(dims.size());
  if (rank == 3 && perm == std::vector<int64_t>{0, 2, 1})
    return transpose_2d(in, out, dims[0], dims[1], dims[2], pool);
  if (rank == 2) return transpose_2d(in, out, 1, dims[0], dims[1], pool);
  transpose_generic(in, out, dims, perm);
}

}  // namespace

namespace movement {

void transpose_bytes(const void* src, void* dst, const Shape& in_shape,
                     const std::vector<int64_t>& perm, size_t esize, ThreadPool* pool) {
  int64_t n = shape_numel(in_shape);
  if (n == 0) return;
  Shape dims;
  std::vector<int64_t> p;
  coalesce(in_shape, perm, dims, p);
  if (dims.size() <= 1) {
    std::memcpy(dst, src, static_cast<size_t>(n) * esize);
    return;
  }
  switch (esize) {
    case 1:
      return transpose_typed<uint8_t>(src, dst, dims, p, pool);
    case 2:
      return transpose_typed<uint16_t>(src, dst, dims, p, pool);
    case 4:
      return transpose_typed<uint32_t>(src, dst, dims, p, pool);
    case 8:
      return transpose_typed<uint64_t>(src, dst, dims, p, pool);
  }
  throw UnsupportedError(cat("transpose: element size ", esize, " is not supported"));
}

}  // namespace movement

namespace {

std::vector<int64_t> perm_of(const Node& node, int64_t rank) {
  std::vector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  return node.attr_ints("perm", perm);
}

OpDef make_transpose() {
  OpDef def;
  def.type = "Transpose";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const std::string what = "attribute 'perm'";
    if (!x.has_shape) {
      if (!ic.node.has_attr("perm")) {
        movement::set_output_rank_unknown(ic, 0, x.dtype);
        return;
      }
      const size_t rank = ic.node.attr_ints("perm").size();
      movement::require_rank_bound(ic, what, rank);
      ic.set_output(0, x.dtype, Shape(rank, -1));
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<int64_t> perm = perm_of(ic.node, rank);
    if (static_cast<int64_t>(perm.size()) != rank)
      ic.fail(cat(what, " has ", perm.size(), " entries for a rank-", rank, " input"));
    std::vector<bool> seen(rank, false);
    Shape out(rank);
    for (int64_t i = 0; i < rank; ++i) {
      int64_t p = perm[i];
      if (p < 0 || p >= rank || seen[p])
        ic.fail(
            cat(what, " = ", movement::list_str(perm), " is not a permutation of 0..", rank - 1));
      seen[p] = true;
      out[i] = x.shape[p];
    }
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back({"blocked", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         Node node = ki.node;
                         return std::make_unique<FunctionKernel>([node](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           movement::transpose_bytes(x.raw(), ctx.out(0).raw(), x.shape(),
                                                     perm_of(node, x.rank()), dtype_size(x.dtype()),
                                                     ctx.pool);
                         });
                       }});
  // Plain element-by-element permutation: the reference the blocked path is tested against.
  def.reference =
      KernelImpl{"reference", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                   Node node = ki.node;
                   return std::make_unique<FunctionKernel>([node](KernelContext& ctx) {
                     const Tensor& x = ctx.in(0);
                     std::vector<int64_t> perm = perm_of(node, x.rank());
                     std::vector<int64_t> in_strides = shape_strides(x.shape());
                     const Shape& out_shape = ctx.out(0).shape();
                     size_t es = dtype_size(x.dtype());
                     const auto* src = static_cast<const std::byte*>(x.raw());
                     auto* dst = static_cast<std::byte*>(ctx.out(0).raw());
                     for (int64_t o = 0; o < x.numel(); ++o) {
                       int64_t rest = o, off = 0;
                       for (int64_t d = x.rank() - 1; d >= 0; --d) {
                         off += (rest % out_shape[d]) * in_strides[perm[d]];
                         rest /= out_shape[d];
                       }
                       std::memcpy(dst + o * es, src + off * es, es);
                     }
                   });
                 }};
  // The gradient moves each element back: a Transpose by the inverse permutation.
  def.gradient = [](GradientContext& g) {
    const std::vector<int64_t> perm =
        perm_of(g.node(), static_cast<int64_t>(g.input_type(0).shape.size()));
    std::vector<int64_t> inverse(perm.size());
    for (size_t i = 0; i < perm.size(); ++i) inverse[perm[i]] = static_cast<int64_t>(i);
    g.set_input_grad(0, g.emit("Transpose", {g.output_grad(0)}, {{"perm", inverse}}));
  };
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_transpose);
}  // namespace sinter
