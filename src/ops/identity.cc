// Identity: output 0 is input 0; the executor aliases the buffer.
#include "ops/data_movement_util.h"
#include "ops/gradient.h"

namespace sinter {
namespace {

OpDef make_identity() {
  OpDef def;
  def.type = "Identity";
  def.output_is_view_of_input0 = true;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    ic.output(0) = x;
  };
  def.impls.push_back(
      {"copy", nullptr, [](const KernelInfo&) { return movement::make_copy_kernel(); }});
  def.gradient = [](GradientContext& g) { g.set_input_grad(0, g.output_grad(0)); };
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_identity);
}  // namespace sinter
