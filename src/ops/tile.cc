// Tile: repeats input 0 repeats[d] times along each dim d.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

// Tiles dims [d, rank): the first copy of each dim is built recursively, the rest duplicated.
void tile_rec(const std::byte* src, const Shape& in, std::byte* dst, const Shape& out, size_t d,
              size_t es, const std::vector<int64_t>& in_st, const std::vector<int64_t>& out_st) {
  size_t rank = in.size();
  size_t chunk = static_cast<size_t>(in[d]) * (d + 1 == rank ? 1 : out_st[d]) * es;
  if (d + 1 == rank) {
    std::memcpy(dst, src, chunk);
  } else {
    for (int64_t i = 0; i < in[d]; ++i)
      tile_rec(src + i * in_st[d] * es, in, dst + i * out_st[d] * es, out, d + 1, es, in_st,
               out_st);
  }
  int64_t reps = in[d] ? out[d] / in[d] : 0;
  for (int64_t r = 1; r < reps; ++r) std::memcpy(dst + r * chunk, dst, chunk);
}

OpDef make_tile() {
  OpDef def;
  def.type = "Tile";
  def.since_opset = 6;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    const Tensor* v = ic.value(1);
    if (!v) {
      ic.set_output(0, x.dtype, Shape(x.shape.size(), -1));
      return;
    }
    const std::string what = "input 'repeats'";
    std::vector<int64_t> reps = movement::int_values(ic, what, *v);
    if (reps.size() != x.shape.size())
      ic.fail(cat(what, " has ", reps.size(), " entries for a rank-", x.shape.size(), " input"));
    for (size_t d = 0; d < reps.size(); ++d)
      if (reps[d] < 0) ic.fail(cat(what, "[", d, "] = ", reps[d], " is negative"));
    const Shape out = movement::sized_by(ic, what, [&] {
      Shape out(x.shape.size());
      for (size_t d = 0; d < reps.size(); ++d)
        out[d] = x.shape[d] < 0 ? -1 : checked_mul(x.shape[d], reps[d]);
      return out;
    });
    movement::require_addressable(ic, what, out, x.dtype);
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           Tensor& y = ctx.out(0);
                           size_t es = dtype_size(x.dtype());
                           if (y.numel() == 0) return;
                           if (x.rank() == 0) {
                             std::memcpy(y.raw(), x.raw(), es);
                             return;
                           }
                           tile_rec(static_cast<const std::byte*>(x.raw()), x.shape(),
                                    static_cast<std::byte*>(y.raw()), y.shape(), 0, es,
                                    shape_strides(x.shape()), shape_strides(y.shape()));
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_tile);
}  // namespace sinter
