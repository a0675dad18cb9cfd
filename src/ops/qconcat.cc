// sinter::QConcat: Concat along channels of quantized u8 channels-last tensors
// (kernels/qeltwise/qconcat.h), made by the integer-layers pass. Attributes: x_scales and
// x_zero_points (one per input), y_scale, y_zero_point. Inputs [N, H, W, C_i] -> Y [N, H, W, sum
// C_i].
#include "kernels/qeltwise/qconcat.h"

#include <memory>

#include "kernels/integer/round_to_u8.h"
#include "ops/op_registry.h"
#include "ops/quant_param_checks.h"

namespace sinter {

namespace {

struct Quant {
  std::vector<float> x_scales;
  std::vector<int64_t> x_zero_points;
  float y_scale;
  int64_t y_zero_point;
};

Quant quant_of(const Node& node, size_t inputs) {
  Quant q{node.attr_floats("x_scales"), node.attr_ints_in("x_zero_points", {}, 0, 255),
          scale_attribute(node, "y_scale"), node.attr_int_in("y_zero_point", 0, 0, 255)};
  if (q.x_scales.size() != inputs || q.x_zero_points.size() != inputs)
    throw ModelError(cat(node.describe(), ": needs one scale and zero point per input (", inputs,
                         "), got ", q.x_scales.size(), " and ", q.x_zero_points.size()));
  check_scale_values(node.describe(), "x_scales",
                     Tensor::from_vector<float>({static_cast<int64_t>(inputs)}, q.x_scales));
  return q;
}

void infer_qconcat(InferContext& ic) {
  if (ic.num_inputs() < 1) ic.fail("expects at least 1 input");
  quant_of(ic.node, ic.num_inputs());
  Shape y;
  for (size_t i = 0; i < ic.num_inputs(); ++i) {
    const ValueType& x = ic.input(i);
    if (x.dtype != DType::kUint8 || !x.has_shape || x.shape.size() != 4 ||
        !shape_is_static(x.shape))
      ic.fail(cat("input ", i, " must be a static u8 [N, H, W, C], got ", shape_str(x.shape)));
    if (i == 0) {
      y = x.shape;
      continue;
    }
    if (x.shape[0] != y[0] || x.shape[1] != y[1] || x.shape[2] != y[2])
      ic.fail(cat("input ", i, " ", shape_str(x.shape), " does not match input 0 ",
                  shape_str(ic.input(0).shape), " but in channels"));
    y[3] += x.shape[3];
  }
  ic.set_output(0, DType::kUint8, y);
}

class QConcatKernel : public Kernel {
 public:
  explicit QConcatKernel(const KernelInfo& ki) {
    const Quant q = quant_of(ki.node, ki.inputs.size());
    for (size_t i = 0; i < ki.inputs.size(); ++i) {
      const bool same = q.x_scales[i] == q.y_scale && q.x_zero_points[i] == q.y_zero_point;
      requants_.push_back(same ? nullptr
                               : std::make_unique<kernels::ByteRequant>(kernels::ByteRequant{
                                     kernels::requant_ratio(q.x_scales[i], q.y_scale),
                                     static_cast<int32_t>(q.x_zero_points[i]),
                                     static_cast<int32_t>(q.y_zero_point)}));
      channels_.push_back(ki.inputs[i].shape[3]);
    }
  }

  void run(KernelContext& ctx) override {
    std::vector<kernels::QConcatInput> inputs;
    for (size_t i = 0; i < channels_.size(); ++i)
      inputs.push_back({ctx.in(i).data<uint8_t>(), channels_[i], requants_[i].get()});
    const Shape& y = ctx.out(0).shape();
    kernels::qconcat_channels(inputs, y[0] * y[1] * y[2], ctx.out(0).data<uint8_t>(), ctx.pool);
  }

 private:
  std::vector<std::unique_ptr<kernels::ByteRequant>> requants_;
  std::vector<int64_t> channels_;
};

OpDef make_qconcat() {
  OpDef def;
  def.type = "QConcat";
  def.domain = "sinter";
  def.infer = infer_qconcat;
  def.impls.push_back({"qconcat", nullptr, [](const KernelInfo& ki) -> std::unique_ptr<Kernel> {
                         return std::make_unique<QConcatKernel>(ki);
                       }});
  return def;
}

}  // namespace
SINTER_REGISTER_OP(make_qconcat);
}  // namespace sinter
