// Dropout at inference: output 0 is input 0 and the optional mask is all true. Training mode
// (opset 12+ input 2) is only accepted when it is known to be false. Not marked as a view: the
// executor runs no kernel for views, which would leave the mask unwritten; remove_identity drops
// the node (and so the copy) whenever the mask is unused.
#include "ops/data_movement_util.h"

namespace sinter {
namespace {

// Opsets 7-9 give the mask the input's dtype; 10+ make it bool.
DType mask_dtype(int64_t opset, DType x) { return opset >= 10 ? DType::kBool : x; }

void fill_true(Tensor& mask) {
  size_t es = dtype_size(mask.dtype());
  auto* p = static_cast<std::byte*>(mask.raw());
  for (int64_t i = 0; i < mask.numel(); ++i) {
    switch (mask.dtype()) {
      case DType::kFloat32:
        reinterpret_cast<float*>(p)[i] = 1.f;
        break;
      case DType::kFloat64:
        reinterpret_cast<double*>(p)[i] = 1.0;
        break;
      case DType::kFloat16:
        reinterpret_cast<uint16_t*>(p)[i] = 0x3c00;
        break;
      default:
        std::memset(p + i * es, 0, es);
        p[i * es] = std::byte{1};  // little-endian one
    }
  }
}

OpDef make_dropout() {
  OpDef def;
  def.type = "Dropout";
  def.since_opset = 7;
  def.infer = [](InferContext& ic) {
    const ValueType& x = ic.input(0);
    if (ic.opset >= 12 && ic.has_input(2)) {
      const Tensor& training = ic.required_value(2);
      if (training.numel() != 1) ic.fail("training_mode must be a scalar");
      if (training.value_as_double(0) != 0)
        throw UnsupportedError(cat(ic.node.describe(), ": training_mode=true is not supported"));
    }
    ic.output(0) = x;
    if (ic.node.outputs.size() > 1 && !ic.node.outputs[1].empty()) {
      ValueType& m = ic.output(1);
      m = x;
      m.dtype = mask_dtype(ic.opset, x.dtype);
      // Known from the shape alone, so later passes can fold it; a big one is left to the kernel
      // rather than held as a constant.
      if (x.has_shape && shape_is_static(x.shape) && shape_numel(x.shape) <= (1 << 16)) {
        Tensor mask(m.dtype, x.shape);
        fill_true(mask);
        ic.set_output_value(1, mask);
      }
    }
  };
  def.impls.push_back({"copy", nullptr, [](const KernelInfo&) -> std::unique_ptr<Kernel> {
                         return std::make_unique<FunctionKernel>([](KernelContext& ctx) {
                           const Tensor& x = ctx.in(0);
                           Tensor& y = ctx.out(0);
                           if (x.raw() != y.raw() && x.nbytes())
                             std::memcpy(y.raw(), x.raw(), x.nbytes());
                           if (ctx.outputs.size() > 1 && ctx.outputs[1]) fill_true(ctx.out(1));
                         });
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_dropout);
}  // namespace sinter
