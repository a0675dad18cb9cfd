// Squeeze: drops size-1 dims, those listed in 'axes' (an attribute before opset 13, an optional
// input from 13) or all of them. A view of its input.
#include <algorithm>

#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

OpDef make_squeeze() {
  OpDef def;
  def.type = "Squeeze";
  def.output_is_view_of_input0 = true;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    std::optional<std::vector<int64_t>> axes;
    const std::string what = movement::arg_name(ic.opset >= 13, "axes");
    if (ic.opset >= 13) {
      if (ic.has_input(1)) {
        const Tensor* v = ic.value(1);
        if (!v) {
          // Which dims go is unknown; only the rank may be deduced from the axes count.
          const ValueType& a = ic.input(1);
          if (x.has_shape && a.has_shape && a.shape.size() == 1 && a.shape[0] >= 0) {
            if (a.shape[0] > static_cast<int64_t>(x.shape.size()))
              ic.fail(
                  cat(what, " has ", a.shape[0], " entries for a rank-", x.shape.size(), " input"));
            ic.set_output(0, x.dtype, Shape(x.shape.size() - a.shape[0], -1));
          } else {
            movement::set_output_rank_unknown(ic, 0, x.dtype);
          }
          return;
        }
        axes = movement::int_values(ic, what, *v);
      }
    } else if (ic.node.has_attr("axes")) {
      axes = ic.node.attr_ints("axes");
    }
    if (!x.has_shape) {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
      return;
    }
    int64_t rank = static_cast<int64_t>(x.shape.size());
    std::vector<bool> drop(rank, false);
    if (axes) {
      for (size_t i = 0; i < axes->size(); ++i) {
        const std::string at = cat(what, "[", i, "]");
        int64_t ax = movement::axis_in(ic, at, (*axes)[i], rank);
        if (drop[ax]) ic.fail(cat(what, " lists axis ", ax, " twice"));
        if (x.shape[ax] > 1 || x.shape[ax] == 0)
          ic.fail(cat(at, " = ", (*axes)[i], ": cannot squeeze dim ", ax, " of size ", x.shape[ax],
                      " in ", shape_str(x.shape)));
        drop[ax] = true;
      }
    } else {
      for (int64_t i = 0; i < rank; ++i) {
        if (x.shape[i] < 0) {
          movement::set_output_rank_unknown(ic, 0, x.dtype);
          return;
        }
        drop[i] = x.shape[i] == 1;
      }
    }
    Shape out;
    for (int64_t i = 0; i < rank; ++i)
      if (!drop[i]) out.push_back(x.shape[i]);
    ic.set_output(0, x.dtype, out);
  };
  def.impls.push_back(
      {"copy", nullptr, [](const KernelInfo&) { return movement::make_copy_kernel(); }});
  def.gradient = reshape_to_input_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_squeeze);
}  // namespace sinter
