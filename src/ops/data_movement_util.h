#pragma once
// Helpers shared by the data-movement, shape and comparison operators: node-named axis checks,
// dtype dispatch, broadcast iteration and byte-level copies that work for every dtype.
#include <array>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/shape.h"
#include "core/tensor.h"
#include "ops/op_registry.h"

namespace sinter::movement {

// The largest rank an op may produce: the importer's bound on declared ranks (onnx_io::kMaxRank),
// so that a shape tensor of a million entries is refused instead of becoming a million dims.
inline constexpr int64_t kMaxRank = 64;

// "[0,-1,3]": attribute and input values as given (shape_str shows negatives as "?").
inline std::string list_str(const std::vector<int64_t>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += cat(i ? "," : "", v[i]);
  return s + "]";
}

// Fails naming `what`, a list of dims or axes, when it has more entries than kMaxRank.
inline void require_rank_bound(const InferContext& ic, const std::string& what, size_t entries) {
  if (static_cast<int64_t>(entries) > kMaxRank)
    ic.fail(cat(what, " has ", entries, " entries, more than the largest rank ", kMaxRank));
}

// How errors name an argument that is an attribute in some opsets and an input in others:
// "attribute 'axes'" or "input 'axes'".
inline std::string arg_name(bool is_input, const std::string& name) {
  return cat(is_input ? "input '" : "attribute '", name, "'");
}

// Normalizes `axis` against `rank`; `what` says where it came from ("attribute 'axis'", "input
// 'axes'[1]") when it is out of range.
inline int64_t axis_in(const InferContext& ic, const std::string& what, int64_t axis,
                       int64_t rank) {
  if (axis < -rank || axis >= rank)
    ic.fail(cat(what, " = ", axis, " is out of range for rank ", rank,
                rank > 0 ? cat(" (valid: ", -rank, " to ", rank - 1, ")") : std::string()));
  return axis < 0 ? axis + rank : axis;
}

// Product of dims that treats any unknown dim as making the whole product unknown (-1).
inline int64_t known_product(const Shape& s, size_t begin, size_t end) {
  int64_t p = 1;
  for (size_t i = begin; i < end; ++i) {
    if (s[i] < 0) return -1;
    p = checked_mul(p, s[i]);
  }
  return p;
}

// Runs `compute`, reporting a size that overflows int64 in it as an error naming `what`, the
// argument the size came from.
template <class F>
decltype(auto) sized_by(const InferContext& ic, const std::string& what, F&& compute) {
  try {
    return compute();
  } catch (const SizeOverflowError& e) {
    ic.fail(cat(what, ": ", e.what()));
  }
}

// Fails naming `what` (the argument that decided `shape`) unless the dims' product, zeros left
// out, times the element size fits int64: then every stride and byte offset of the tensor does.
inline void require_addressable(const InferContext& ic, const std::string& what, const Shape& shape,
                                DType dtype) {
  try {
    int64_t n = 1;
    for (int64_t d : shape)
      if (d > 0) n = checked_mul(n, d);
    checked_bytes(n, static_cast<int64_t>(dtype_size(dtype)));
  } catch (const SizeOverflowError&) {
    ic.fail(cat(what, ": the output shape ", shape_str(shape), " holds more than 2^63 bytes"));
  }
}

// Marks output i as having a known dtype but unknown rank.
inline void set_output_rank_unknown(InferContext& ic, size_t i, DType dtype) {
  ValueType& t = ic.output(i);
  t.dtype = dtype;
  t.shape.clear();
  t.has_shape = false;
}

// Calls f(T{}) with T the C++ type of `t`; float16 is excluded (no arithmetic type for it).
template <class F>
void dispatch_numeric(DType t, const std::string& who, F&& f) {
  switch (t) {
    case DType::kFloat32:
      return f(float{});
    case DType::kFloat64:
      return f(double{});
    case DType::kInt8:
      return f(int8_t{});
    case DType::kUint8:
      return f(uint8_t{});
    case DType::kInt16:
      return f(int16_t{});
    case DType::kInt32:
      return f(int32_t{});
    case DType::kInt64:
      return f(int64_t{});
    case DType::kBool:
      return f(bool{});
    case DType::kFloat16:
    case DType::kInt4:
    case DType::kUint4:
      break;
  }
  throw UnsupportedError(cat(who, ": dtype ", dtype_name(t), " is not supported"));
}

// Strides of a tensor of shape `in` right-aligned into `out`'s rank, 0 on broadcast dims.
inline std::vector<int64_t> broadcast_strides(const Shape& in, const Shape& out) {
  std::vector<int64_t> st(out.size(), 0);
  std::vector<int64_t> own = shape_strides(in);
  size_t lead = out.size() - in.size();
  for (size_t i = 0; i < in.size(); ++i) st[lead + i] = in[i] == 1 ? 0 : own[i];
  return st;
}

// Visits every element of `out` in row-major order with the matching element offsets of N
// broadcast inputs: fn(out_index, offsets).
template <size_t N, class F>
void for_each_broadcast(const Shape& out, const std::array<std::vector<int64_t>, N>& strides,
                        F&& fn) {
  int64_t total = shape_numel(out);
  int64_t rank = static_cast<int64_t>(out.size());
  std::vector<int64_t> idx(out.size(), 0);
  std::array<int64_t, N> off{};
  for (int64_t o = 0; o < total; ++o) {
    fn(o, off);
    for (int64_t d = rank - 1; d >= 0; --d) {
      if (++idx[d] < out[d]) {
        for (size_t k = 0; k < N; ++k) off[k] += strides[k][d];
        break;
      }
      idx[d] = 0;
      for (size_t k = 0; k < N; ++k) off[k] -= strides[k][d] * (out[d] - 1);
    }
  }
}

// Infers the broadcast of input shapes, failing with the node's name when they do not match.
inline Shape broadcast_in(const InferContext& ic, const Shape& a, const Shape& b) {
  try {
    return broadcast_shapes(a, b);
  } catch (const Error& e) {
    ic.fail(e.what());
  }
}

// Copies `src` (shape `in`) into `dst` (shape `out`), repeating along broadcast dims; rows that
// match are copied with memcpy so the common "add a leading dim" case stays fast.
void broadcast_copy(const void* src, const Shape& in, void* dst, const Shape& out, size_t esize);

// Permutes dims of a dense tensor of element size `esize`: out dim i = in dim perm[i].
// Defined in transpose.cc; DepthToSpace/SpaceToDepth reuse it.
void transpose_bytes(const void* src, void* dst, const Shape& in_shape,
                     const std::vector<int64_t>& perm, size_t esize, ThreadPool* pool);

// A kernel that copies input 0 into output 0 unless the executor already aliased them.
inline std::unique_ptr<Kernel> make_copy_kernel() {
  return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
    const Tensor& x = ctx.in(0);
    Tensor& y = ctx.out(0);
    if (x.raw() != y.raw() && x.nbytes()) std::memcpy(y.raw(), x.raw(), x.nbytes());
  });
}

// Reads int64-like axes/shape/pads values; `what` names the argument on a non-integer tensor.
inline std::vector<int64_t> int_values(const InferContext& ic, const std::string& what,
                                       const Tensor& t) {
  if (t.dtype() != DType::kInt64 && t.dtype() != DType::kInt32)
    ic.fail(cat(what, " must be an int64 tensor, not ", dtype_name(t.dtype())));
  return t.to_int64_vector();
}

}  // namespace sinter::movement
