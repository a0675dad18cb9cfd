// Slice: per-axis start/end/step ranges (attributes before opset 10, inputs from 10), with ONNX
// clamping of out-of-range bounds and negative steps walking backwards.
#include <algorithm>

#include "ops/data_movement_util.h"

namespace sinter {
namespace {

struct SliceArgs {
  std::vector<int64_t> starts, ends, axes, steps;
  bool from_inputs = true;  // inputs from opset 10, attributes before: how errors name them
};

// Per input dim: first index, step and output length.
struct DimRange {
  int64_t start = 0, step = 1, count = 0;
};

std::vector<DimRange> resolve(const SliceArgs& a, const Shape& shape, const std::string& who) {
  int64_t rank = static_cast<int64_t>(shape.size());
  auto name = [&](const char* arg) { return movement::arg_name(a.from_inputs, arg); };
  auto fail = [&](const std::string& what) { throw ModelError(cat(who, ": ", what)); };
  std::vector<DimRange> r(rank);
  for (int64_t d = 0; d < rank; ++d) r[d] = {0, 1, shape[d]};
  if (a.ends.size() != a.starts.size())
    fail(cat(name("starts"), " has ", a.starts.size(), " entries but ", name("ends"), " has ",
             a.ends.size()));
  if (!a.axes.empty() && a.axes.size() != a.starts.size())
    fail(cat(name("axes"), " has ", a.axes.size(), " entries but ", name("starts"), " has ",
             a.starts.size()));
  if (!a.steps.empty() && a.steps.size() != a.starts.size())
    fail(cat(name("steps"), " has ", a.steps.size(), " entries but ", name("starts"), " has ",
             a.starts.size()));
  if (a.axes.empty() && static_cast<int64_t>(a.starts.size()) > rank)
    fail(cat(name("starts"), " has ", a.starts.size(), " entries for a rank-", rank, " input"));
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < a.starts.size(); ++i) {
    int64_t axis = a.axes.empty() ? static_cast<int64_t>(i) : a.axes[i];
    if (axis < -rank || axis >= rank)
      fail(cat(name("axes"), "[", i, "] = ", axis, " is out of range for rank ", rank));
    if (axis < 0) axis += rank;
    if (seen[axis]) fail(cat(name("axes"), " lists axis ", axis, " twice"));
    seen[axis] = true;
    int64_t step = a.steps.empty() ? 1 : a.steps[i];
    if (step == 0) fail(cat(name("steps"), "[", i, "] is 0"));
    int64_t dim = shape[axis];
    if (dim < 0) {
      r[axis] = {0, step, -1};
      continue;
    }
    int64_t start = a.starts[i], end = a.ends[i];
    if (start < 0) start += dim;
    if (end < 0) end += dim;
    // Unsigned: the magnitude of INT64_MIN does not fit int64. Both distances are below dim.
    const uint64_t magnitude = step > 0 ? uint64_t(step) : 0 - uint64_t(step);
    int64_t count;
    if (step > 0) {
      start = std::clamp<int64_t>(start, 0, dim);
      end = std::clamp<int64_t>(end, 0, dim);
      count = end > start ? int64_t(uint64_t(end - start - 1) / magnitude) + 1 : 0;
    } else {
      start = std::clamp<int64_t>(start, 0, dim - 1);
      end = std::clamp<int64_t>(end, -1, dim - 1);
      count = start > end ? int64_t(uint64_t(start - end - 1) / magnitude) + 1 : 0;
    }
    // A step taken at most once is never applied; 1 keeps the kernel's step * stride products
    // within the tensor whatever the step was.
    r[axis] = {start, count > 1 ? step : 1, count};
  }
  return r;
}

OpDef make_slice() {
  OpDef def;
  def.type = "Slice";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    SliceArgs a;
    if (ic.opset < 10) {
      a.starts = ic.node.attr_ints("starts");
      a.ends = ic.node.attr_ints("ends");
      a.axes = ic.node.attr_ints("axes");
      a.from_inputs = false;
    } else {
      ic.input(1);  // starts and ends are required
      ic.input(2);
      const Tensor* s = ic.value(1);
      const Tensor* e = ic.value(2);
      const Tensor* ax = ic.has_input(3) ? ic.value(3) : nullptr;
      const Tensor* st = ic.has_input(4) ? ic.value(4) : nullptr;
      if (!s || !e || (ic.has_input(3) && !ax) || (ic.has_input(4) && !st)) {
        // Bounds only known at run time: the rank survives, and dims off the axes when known.
        Shape out(rank, -1);
        if (ax && (!ic.has_input(4) || st)) {
          out = x.shape;
          const std::vector<int64_t> axes = movement::int_values(ic, "input 'axes'", *ax);
          for (size_t i = 0; i < axes.size(); ++i)
            out[movement::axis_in(ic, cat("input 'axes'[", i, "]"), axes[i], rank)] = -1;
        }
        ic.set_output(0, x.dtype, out);
        return;
      }
      a.starts = movement::int_values(ic, "input 'starts'", *s);
      a.ends = movement::int_values(ic, "input 'ends'", *e);
      if (ax) a.axes = movement::int_values(ic, "input 'axes'", *ax);
      if (st) a.steps = movement::int_values(ic, "input 'steps'", *st);
    }
    Shape out(rank);
    std::vector<DimRange> r = resolve(a, x.shape, ic.node.describe());
    for (int64_t d = 0; d < rank; ++d) out[d] = r[d].count;
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         SliceArgs attrs;
                         if (ki.opset < 10)
                           attrs = {ki.node.attr_ints("starts"),
                                    ki.node.attr_ints("ends"),
                                    ki.node.attr_ints("axes"),
                                    {},
                                    false};
                         std::string who = ki.node.describe();
                         int64_t opset = ki.opset;
                         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
                           SliceArgs a = attrs;
                           if (opset >= 10) {
                             a.starts = ctx.in(1).to_int64_vector();
                             a.ends = ctx.in(2).to_int64_vector();
                             if (ctx.has_in(3)) a.axes = ctx.in(3).to_int64_vector();
                             if (ctx.has_in(4)) a.steps = ctx.in(4).to_int64_vector();
                           }
                           const Tensor& x = ctx.in(0);
                           Tensor& y = ctx.out(0);
                           if (y.numel() == 0) return;
                           std::vector<DimRange> r = resolve(a, x.shape(), who);
                           int64_t rank = x.rank();
                           size_t es = dtype_size(x.dtype());
                           const auto* src = static_cast<const std::byte*>(x.raw());
                           auto* dst = static_cast<std::byte*>(y.raw());
                           if (rank == 0) {
                             std::memcpy(dst, src, es);
                             return;
                           }
                           std::vector<int64_t> st = shape_strides(x.shape());
                           int64_t base = 0;
                           for (int64_t d = 0; d < rank; ++d) base += r[d].start * st[d];
                           const DimRange& last = r[rank - 1];
                           int64_t inner = last.count, rows = y.numel() / inner;
                           std::vector<int64_t> idx(rank, 0);
                           int64_t off = base;
                           for (int64_t row = 0; row < rows; ++row) {
                             std::byte* out = dst + row * inner * es;
                             if (last.step == 1) {
                               std::memcpy(out, src + off * es, inner * es);
                             } else {
                               for (int64_t c = 0; c < inner; ++c)
                                 std::memcpy(out + c * es, src + (off + c * last.step) * es, es);
                             }
                             for (int64_t d = rank - 2; d >= 0; --d) {
                               if (++idx[d] < r[d].count) {
                                 off += r[d].step * st[d];
                                 break;
                               }
                               off -= r[d].step * st[d] * (r[d].count - 1);
                               idx[d] = 0;
                             }
                           }
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_slice);
}  // namespace sinter
