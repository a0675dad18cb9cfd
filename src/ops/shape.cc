// Shape: the dims of its input as int64 (opset 15 adds start/end). Known at compile time
// whenever the input shape is static, which is what lets shape subgraphs fold away.
#include <algorithm>

#include "ops/op_registry.h"

namespace sinter {
namespace {

std::pair<int64_t, int64_t> shape_range(const Node& node, int64_t rank) {
  auto clamp = [rank](int64_t v) { return std::clamp(v < 0 ? v + rank : v, int64_t{0}, rank); };
  return {clamp(node.attr_int("start", 0)), clamp(node.attr_int("end", rank))};
}

OpDef make_shape() {
  OpDef def;
  def.type = "Shape";
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (!x.has_shape) {
      ic.set_output(0, DType::kInt64, {-1});
      return;
    }
    auto [b, e] = shape_range(ic.node, static_cast<int64_t>(x.shape.size()));
    Shape dims(x.shape.begin() + b, x.shape.begin() + std::max(b, e));
    ic.set_output(0, DType::kInt64, {static_cast<int64_t>(dims.size())});
    if (shape_is_static(dims))
      ic.set_output_value(0,
                          Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims));
  };
  def.impls.push_back({"generic", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         Node node = ki.node;
                         return std::make_unique<FunctionKernel>([node](KernelContext& ctx) {
                           const Shape& s = ctx.in(0).shape();
                           auto [b, e] = shape_range(node, static_cast<int64_t>(s.size()));
                           int64_t* out = ctx.out(0).data<int64_t>();
                           for (int64_t i = b; i < e; ++i) out[i - b] = s[i];
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_shape);
}  // namespace sinter
