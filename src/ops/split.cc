// Split: cuts input 0 along 'axis' into the sizes given by 'split' (an attribute before opset
// 13, an optional input from 13) or into equal parts, one per output (from opset 18 'num_outputs'
// of them, the last one smaller when they do not divide the axis).
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

// Opset 18's num_outputs parts: ceil(dim / n) each, the last one smaller when n does not divide
// dim.
std::vector<int64_t> ceil_parts(int64_t dim, int64_t n) {
  const int64_t part = (dim + n - 1) / n;
  std::vector<int64_t> parts(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) parts[i] = std::clamp<int64_t>(dim - part * i, 0, part);
  return parts;
}

// Sizes of the parts, or nullopt when they are only known at run time.
std::optional<std::vector<int64_t>> split_sizes(const InferContext& ic, int64_t dim) {
  size_t n = ic.node.outputs.size();
  const std::string what = movement::arg_name(ic.opset >= 13, "split");
  std::optional<std::vector<int64_t>> sizes;
  if (ic.opset >= 13) {
    if (ic.has_input(1)) {
      const Tensor* v = ic.value(1);
      if (!v) return std::nullopt;
      sizes = movement::int_values(ic, what, *v);
    }
  } else if (ic.node.has_attr("split")) {
    sizes = ic.node.attr_ints("split");
  }
  if (sizes) {
    if (sizes->size() != n)
      ic.fail(cat(what, " has ", sizes->size(), " entries for ", n, " outputs"));
    int64_t sum = 0;
    for (size_t i = 0; i < n; ++i) {
      const int64_t s = (*sizes)[i];
      if (s < 0) ic.fail(cat(what, "[", i, "] = ", s, " is negative"));
      sum = movement::sized_by(ic, what, [&] { return checked_add(sum, s); });
    }
    if (dim >= 0 && sum != dim)
      ic.fail(cat(what, " sizes add up to ", sum, " but the axis has ", dim));
    return sizes;
  }
  if (dim < 0) return std::nullopt;
  if (ic.opset >= 18 && ic.node.has_attr("num_outputs")) {
    // Opset 18: parts of ceil(dim / n), the last one smaller when n does not divide the axis.
    const int64_t want = ic.node.attr_int("num_outputs", 0);
    if (want != static_cast<int64_t>(n))
      ic.fail(cat("attribute 'num_outputs' = ", want, " but the node has ", n, " outputs"));
    return ceil_parts(dim, want);
  }
  if (dim % static_cast<int64_t>(n) != 0)
    ic.fail(cat("axis of size ", dim, " does not split into ", n, " equal parts"));
  return std::vector<int64_t>(n, dim / static_cast<int64_t>(n));
}

OpDef make_split() {
  OpDef def;
  def.type = "Split";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    size_t n = ic.node.outputs.size();
    if (n == 0) ic.fail("needs at least one output");
    if (!x.has_shape) {
      for (size_t i = 0; i < n; ++i) movement::set_output_rank_unknown(ic, i, x.dtype);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    int64_t axis = movement::axis_in(ic, "attribute 'axis'", ic.node.attr_int("axis", 0), rank);
    auto sizes = split_sizes(ic, x.shape[axis]);
    for (size_t i = 0; i < n; ++i) {
      Shape s = x.shape;
      s[axis] = sizes ? (*sizes)[i] : -1;
      ic.set_output(i, x.dtype, s);
    }
  };
  def.impls.push_back(
      {"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
         int64_t axis_attr = ki.node.attr_int("axis", 0);
         std::vector<int64_t> attr_split;
         if (ki.opset < 13) attr_split = ki.node.attr_ints("split");
         size_t n = ki.node.outputs.size();
         const bool split_input = ki.opset >= 13;
         const bool ceil_split = ki.opset >= 18 && ki.node.has_attr("num_outputs");
         if (ceil_split && ki.node.attr_int("num_outputs", 0) != static_cast<int64_t>(n))
           throw ModelError(cat(ki.node.describe(),
                                ": attribute 'num_outputs' = ", ki.node.attr_int("num_outputs", 0),
                                " but the node has ", n, " outputs"));
         return std::make_unique<FunctionKernel>([=](KernelContext& ctx) {
           const Tensor& x = ctx.in(0);
           int64_t axis = axis_attr < 0 ? axis_attr + x.rank() : axis_attr;
           std::vector<int64_t> sizes = attr_split;
           if (split_input && ctx.has_in(1)) sizes = ctx.in(1).to_int64_vector();
           if (sizes.empty())
             sizes = ceil_split ? ceil_parts(x.dim(axis), static_cast<int64_t>(n))
                                : std::vector<int64_t>(n, x.dim(axis) / static_cast<int64_t>(n));
           // Inference checked these sizes; the kernel must read the same ones.
           int64_t total = 0;
           bool valid = sizes.size() == n;
           for (int64_t s : sizes) {
             valid = valid && s >= 0;
             if (valid) total = checked_add(total, s);
           }
           SINTER_CHECK(valid && total == x.dim(axis), "Split sizes disagree with the input");
           int64_t outer = shape_numel(Shape(x.shape().begin(), x.shape().begin() + axis));
           size_t inner = static_cast<size_t>(
                              shape_numel(Shape(x.shape().begin() + axis + 1, x.shape().end()))) *
                          dtype_size(x.dtype());
           size_t in_row = static_cast<size_t>(x.dim(axis)) * inner;
           const auto* src = static_cast<const std::byte*>(x.raw());
           size_t col = 0;
           for (size_t i = 0; i < n; ++i) {
             size_t row = static_cast<size_t>(sizes[i]) * inner;
             Tensor* y = i < ctx.outputs.size() ? ctx.outputs[i] : nullptr;
             auto* dst = y ? static_cast<std::byte*>(y->raw()) : nullptr;
             // An output the plan placed inside the input (runtime/split_in_place.h) is there.
             if (row && dst && !(outer == 1 && dst == src + col)) {
               for (int64_t o = 0; o < outer; ++o)
                 std::memcpy(dst + o * row, src + o * in_row + col, row);
             }
             col += row;
           }
         });
       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_split);
}  // namespace sinter
