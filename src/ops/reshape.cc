// Reshape: input 0's data under the shape given by input 1, where 0 copies the input dim (unless
// allowzero=1, opset 14) and one -1 takes whatever is left. A view of its input.
#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

Shape reshaped_shape(const InferContext& ic, const ValueType& x,
                     const std::vector<int64_t>& given) {
  movement::require_rank_bound(ic, "input 'shape'", given.size());
  const std::string what = cat("input 'shape' = ", movement::list_str(given));
  std::vector<int64_t> target = given;
  bool allow_zero = ic.opset >= 14 && ic.node.attr_int("allowzero", 0) != 0;
  int64_t infer_at = -1;
  bool has_zero = false;
  for (size_t i = 0; i < target.size(); ++i) {
    int64_t d = target[i];
    if (d == -1) {
      if (infer_at >= 0) ic.fail(cat(what, " has more than one -1"));
      infer_at = static_cast<int64_t>(i);
    } else if (d < -1) {
      ic.fail(cat(what, " holds ", d, " (the only negative value allowed is one -1)"));
    } else if (d == 0) {
      has_zero = true;
      if (allow_zero) continue;
      if (!x.has_shape || i >= x.shape.size()) {
        if (x.has_shape)
          ic.fail(cat(what, " copies dim ", i, " of a rank-", x.shape.size(), " input"));
        target[i] = -2;  // unknown copied dim
      } else {
        target[i] = x.shape[i] < 0 ? -2 : x.shape[i];
      }
    }
  }
  if (allow_zero && has_zero && infer_at >= 0)
    ic.fail(cat(what, " holds both 0 and -1, which allowzero=1 forbids"));
  int64_t in_numel = x.has_shape ? movement::known_product(x.shape, 0, x.shape.size()) : -1;
  movement::require_addressable(ic, "input 'shape'", target, x.dtype);
  int64_t known = 1;
  bool all_known = true;
  for (size_t i = 0; i < target.size(); ++i) {
    if (static_cast<int64_t>(i) == infer_at) continue;
    if (target[i] < 0) {
      all_known = false;
    } else {
      known = checked_mul(known, target[i]);
    }
  }
  auto mismatch = [&] {
    ic.fail(cat("cannot reshape ", shape_str(x.shape), " (", in_numel, " elements) to ", what));
  };
  if (infer_at >= 0) {
    // With a 0 among the other dims, -1 could be anything.
    if (in_numel >= 0 && all_known) {
      if (known == 0 || in_numel % known != 0) mismatch();
      target[infer_at] = in_numel / known;
    }
  } else if (in_numel >= 0 && all_known && known != in_numel) {
    mismatch();
  }
  for (int64_t& d : target) d = d < 0 ? -1 : d;
  return target;
}

OpDef make_reshape() {
  OpDef def;
  def.type = "Reshape";
  def.since_opset = 5;
  def.output_is_view_of_input0 = true;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    const ValueType& s = ic.input(1);
    if (s.has_shape && s.shape.size() != 1)
      ic.fail(cat("input 'shape' must be 1-D, not ", shape_str(s.shape)));
    if (const Tensor* v = ic.value(1)) {
      ic.set_output(0, x.dtype,
                    reshaped_shape(ic, x, movement::int_values(ic, "input 'shape'", *v)));
    } else if (s.has_shape && s.shape[0] >= 0 && s.shape[0] <= movement::kMaxRank) {
      ic.set_output(0, x.dtype, Shape(s.shape[0], -1));
    } else {
      movement::set_output_rank_unknown(ic, 0, x.dtype);
    }
  };
  def.impls.push_back(
      {"copy", nullptr, [](const KernelInfo&) { return movement::make_copy_kernel(); }});
  def.gradient = reshape_to_input_gradient;
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_reshape);
}  // namespace sinter
