// Expand: broadcasts input 0 against the shape in input 1 (numpy rules in both directions, so
// the output can be bigger than the requested shape).
#include "ops/data_movement_util.h"

namespace sinter {

namespace movement {

namespace {
// Copies dims [d, rank) of src into dst; src_shape is right-aligned with dst_shape already.
void broadcast_rec(const std::byte* src, const Shape& in, std::byte* dst, const Shape& out,
                   size_t d, size_t esize, const std::vector<int64_t>& in_st,
                   const std::vector<int64_t>& out_st) {
  size_t rank = out.size();
  if (d + 1 == rank) {
    if (in[d] == out[d]) {
      std::memcpy(dst, src, out[d] * esize);
    } else {
      for (int64_t i = 0; i < out[d]; ++i) std::memcpy(dst + i * esize, src, esize);
    }
    return;
  }
  if (in[d] == out[d]) {
    for (int64_t i = 0; i < out[d]; ++i)
      broadcast_rec(src + i * in_st[d] * esize, in, dst + i * out_st[d] * esize, out, d + 1, esize,
                    in_st, out_st);
    return;
  }
  // Broadcast dim: fill the first slice once, then replicate it.
  broadcast_rec(src, in, dst, out, d + 1, esize, in_st, out_st);
  size_t slice = static_cast<size_t>(out_st[d]) * esize;
  for (int64_t i = 1; i < out[d]; ++i) std::memcpy(dst + i * slice, dst, slice);
}
}  // namespace

void broadcast_copy(const void* src, const Shape& in, void* dst, const Shape& out, size_t esize) {
  if (shape_numel(out) == 0) return;
  if (out.empty()) {
    std::memcpy(dst, src, esize);
    return;
  }
  Shape aligned(out.size() - in.size(), 1);
  aligned.insert(aligned.end(), in.begin(), in.end());
  broadcast_rec(static_cast<const std::byte*>(src), aligned, static_cast<std::byte*>(dst), out, 0,
                esize, shape_strides(aligned), shape_strides(out));
}

}  // namespace movement

namespace {

OpDef make_expand() {
  OpDef def;
  def.type = "Expand";
  def.since_opset = 8;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const ValueType& s = ic.input(1);
    const std::string what = "input 'shape'";
    if (s.has_shape && s.shape.size() != 1)
      ic.fail(cat(what, " must be 1-D, not ", shape_str(s.shape)));
    const Tensor* v = ic.value(1);
    if (v && x.has_shape) {
      const Shape shape = movement::int_values(ic, what, *v);
      movement::require_rank_bound(ic, what, shape.size());
      for (size_t i = 0; i < shape.size(); ++i)
        if (shape[i] < 0) ic.fail(cat(what, "[", i, "] = ", shape[i], " is negative"));
      Shape out;
      try {
        out = broadcast_shapes(x.shape, shape);
      } catch (const InputError&) {
        ic.fail(cat(what, " = ", shape_str(shape), " does not broadcast with the input's shape ",
                    shape_str(x.shape)));
      }
      movement::require_addressable(ic, what, out, x.dtype);
      ic.set_output(0, x.dtype, out);
    } else if (x.has_shape && s.has_shape && s.shape[0] >= 0 && s.shape[0] <= movement::kMaxRank) {
      ic.set_output(0, x.dtype,
                    Shape(std::max<size_t>(x.shape.size(), static_cast<size_t>(s.shape[0])), -1));
    } else {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
    }
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           Tensor& y = ctx.out(0);
                           movement::broadcast_copy(x.raw(), x.shape(), y.raw(), y.shape(),
                                                    dtype_size(x.dtype()));
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_expand);
}  // namespace sinter
