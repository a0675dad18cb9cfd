// Unsqueeze: inserts size-1 dims at 'axes' (an attribute before opset 13, an input from 13),
// indices counted in the output's rank. A view of its input.
#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

// The input's rank plus one per axis, which must stay within kMaxRank.
int64_t output_rank(const InferContext& ic, const std::string& what, size_t rank, uint64_t axes) {
  const auto bound = static_cast<uint64_t>(movement::kMaxRank);
  if (axes > bound || rank + axes > bound)
    ic.fail(cat(what, " has ", axes, " entries: a rank-", rank,
                " input would pass the largest rank ", movement::kMaxRank));
  return static_cast<int64_t>(rank + axes);
}

OpDef make_unsqueeze() {
  OpDef def;
  def.type = "Unsqueeze";
  def.output_is_view_of_input0 = true;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    std::vector<int64_t> axes;
    const std::string what = movement::arg_name(ic.opset >= 13, "axes");
    if (ic.opset >= 13) {
      const Tensor* v = ic.value(1);
      if (!v) {
        const ValueType& a = ic.input(1);
        if (x.has_shape && a.has_shape && a.shape.size() == 1 && a.shape[0] >= 0) {
          ic.set_output(0, x.dtype, Shape(output_rank(ic, what, x.shape.size(), a.shape[0]), -1));
        } else {
          movement::set_output_rank_unknown(ic, 0, x.dtype);
        }
        return;
      }
      axes = movement::int_values(ic, what, *v);
    } else {
      if (!ic.node.has_attr("axes")) ic.fail("missing required attribute 'axes'");
      axes = ic.node.attr_ints("axes");
    }
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    const int64_t out_rank = output_rank(ic, what, x.shape.size(), axes.size());
    std::vector<bool> inserted(out_rank, false);
    for (size_t i = 0; i < axes.size(); ++i) {
      int64_t ax = movement::axis_in(ic, cat(what, "[", i, "]"), axes[i], out_rank);
      if (inserted[ax]) ic.fail(cat(what, " lists axis ", ax, " twice"));
      inserted[ax] = true;
    }
    Shape out;
    size_t next = 0;
    for (int64_t i = 0; i < out_rank; ++i) out.push_back(inserted[i] ? 1 : x.shape[next++]);
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back(
      {"copy", nullptr, [](const KernelInfo&) { return movement::make_copy_kernel(); }});
  def.gradient = reshape_to_input_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_unsqueeze);
}  // namespace sinter
